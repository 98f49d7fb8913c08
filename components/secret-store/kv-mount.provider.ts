// SecretStoreKvMount's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as store from "./client";
import type { SecretStoreKvMountInputs } from "./kv-mount";

type Inputs = pulumi.Unwrap<SecretStoreKvMountInputs>;

interface Outputs extends Inputs {
  adopted: boolean;
  live: "present" | "missing";
}

const versionOf = (props: { version?: string }): string => props.version ?? "2";

async function ensureMount(inputs: Inputs): Promise<boolean> {
  const version = versionOf(inputs);
  return store.withRootToken(inputs, inputs.unsealKeys, async (token) => {
    const mount = await store.readMount(inputs, token, inputs.mount);
    if (!mount) {
      if (version === "2") await store.enableKv2(inputs, token, inputs.mount);
      else await store.enableKv(inputs, token, inputs.mount, "1");
      return false;
    }
    if (mount.type !== "kv" || (mount.version ?? "1") !== version) {
      throw new store.SecretStoreError(`the secret store already has a ${mount.type} v${mount.version ?? "1"} engine mounted at ${inputs.mount}/ and this stack needs KV v${version} there; remove that mount (after saving its entries) or give the stack a store without it`);
    }
    return true;
  });
}

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    const adopted = await ensureMount(inputs);
    return { id: inputs.mount, outs: { ...inputs, adopted, live: "present" } };
  },

  async read(id, props) {
    if ((await store.sealStatus(props)).sealed) return { id, props };
    const mount = await store.withRootToken(props, props.unsealKeys, (token) => store.readMount(props, token, props.mount));
    return { id, props: { ...props, live: mount ? "present" : "missing" } };
  },

  async diff(_id, olds, news) {
    // The mount holds the services' secrets: changing its KV version in place would lose them all.
    if (versionOf(olds) !== versionOf(news)) {
      throw new store.SecretStoreError(
        `the secret store's ${olds.mount}/ mount is KV v${versionOf(olds)} with this stack's secrets in it and the stack now asks for KV v${versionOf(news)}; nothing migrates the entries, so nothing was changed: keep the stack's layout as it was, or run destroy and then up on a fresh store (new tokens and passwords)`,
      );
    }
    const replaces = changedKeys(olds, news, ["mount"]);
    const changed = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "unsealKeys"]);
    return { changes: replaces.length + changed.length > 0 || olds.live === "missing", replaces };
  },

  async update(_id, olds, news) {
    // Idempotent: after a mount was removed, or the store re-initialized (new keys), the mount is made again.
    await ensureMount(news);
    return { outs: { ...news, adopted: olds.adopted, live: "present" } };
  },

  async delete(_id, props) {
    if (props.adopted) return;
    await store.withRootToken(props, props.unsealKeys, (token) => store.disableMount(props, token, props.mount));
  },
});
