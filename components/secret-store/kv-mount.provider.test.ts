// The KV mount's diff refuses a change of KV version (a layout switch on an existing store) in one line, before
// the store is asked anything: its entries would be lost, and nothing migrates them.
import { describe, expect, it } from "vitest";
import { provider } from "./kv-mount.provider";

const props = { address: "https://127.0.0.1:1", caPem: "", connectTimeoutSeconds: 1, unsealKeys: ["k"], mount: "secret" };

describe("SecretStoreKvMount diff", () => {
  it("refuses KV v2 (a state written before versions, or the default layout) to v1, and back", async () => {
    const v2 = { ...props, adopted: false, live: "present" as const };
    await expect(provider.diff("secret", v2, { ...props, version: "1" })).rejects.toThrow(/^the secret store's secret\/ mount is KV v2 with this stack's secrets in it and the stack now asks for KV v1; nothing migrates the entries, so nothing was changed: keep the stack's layout as it was, or run destroy and then up on a fresh store/);
    await expect(provider.diff("secret", { ...v2, version: "1" }, props)).rejects.toThrow(/is KV v1 .* asks for KV v2/);
  });

  it("sees no change where the version is the same, written or not", async () => {
    const v2 = { ...props, adopted: false, live: "present" as const };
    expect(await provider.diff("secret", v2, { ...props, version: "2" })).toMatchObject({ changes: false });
    expect(await provider.diff("secret", { ...v2, version: "1" }, { ...props, version: "1" })).toMatchObject({ changes: false });
  });
});
