// Custody of the secret store's keys against a real OpenBao, through the real CLI: a damaged custody file is
// warned about and kept aside; a store that lost its data is never silently re-initialized; starting over is
// explicit (secretStore.reinitialize) and keeps the old keys in a dated backup.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCustody } from "../../components/secret-store/custody";
import { changedNames, expectOk, TestNode } from "../support/harness";
import { OpenBaoServer } from "../support/openbao-server";

const CUSTODY_SECRET = "integration-custody-secret-0123456789-abcdefghij";
const NO_STACK_TRACE = /\n\s+at /;

describe("secret store custody on a real OpenBao", { timeout: 900_000 }, () => {
  const node = new TestNode("custody");
  let server: OpenBaoServer;
  let keys: string[];
  const custodyDir = () => join(node.root, "custody");
  const custodyFile = () => join(custodyDir(), `${node.stack}.secret-store.custody`);
  /** The backups kept beside the custody file, by kind. */
  const backups = (kind: string) => readdirSync(custodyDir()).filter((f) => f.startsWith(`${node.stack}.secret-store.custody.${kind}-`)).map((f) => join(custodyDir(), f));
  const configure = (overrides: Record<string, unknown> = {}) =>
    node.configure(
      {
        services: [{ name: "secretstore", hostnames: ["secretstore"], includeLocalhost: false, extraSans: ["127.0.0.1"] }, { name: "svc-a" }],
        secretStore: { address: server.address, custodyDir: custodyDir(), connectTimeoutSeconds: 120, shares: 3, threshold: 2, ...overrides },
      },
      { secretStoreCustodySecret: CUSTODY_SECRET },
    );
  const tokenOf = () => JSON.parse(readFileSync(join(node.secretsRoot, "svc-a", "secrets-token.json"), "utf8")).auth.client_token;

  beforeAll(async () => {
    server = await OpenBaoServer.create(node);
    configure();
    server.start();
    expectOk(await node.run("up"));
    keys = readCustody(custodyFile(), CUSTODY_SECRET)!.keys;
  }, 600_000);

  afterAll(() => {
    server?.stop();
    node.cleanup();
  });

  it("a custody file with one flipped byte: every run warns naming the file; up keeps it aside and writes the keys back", async () => {
    const original = readFileSync(custodyFile(), "utf8");
    const envelope = JSON.parse(original);
    const ciphertext = Buffer.from(envelope.ciphertext, "base64");
    ciphertext[7] ^= 0x01;
    envelope.ciphertext = ciphertext.toString("base64");
    const damaged = JSON.stringify(envelope, null, 2) + "\n";
    writeFileSync(custodyFile(), damaged);
    const warning = `warning: ${custodyFile()} cannot be decrypted with this stack's custody secret (wrong secret, or the file is damaged)`;

    const preview = expectOk(await node.run("preview"));
    expect(preview.stdout + preview.stderr).toContain(warning);
    // The init resource shows the custody change (its dependents show an update while its outputs are unknown).
    expect(preview.steps.find((s) => s.name === "secret-store-init")?.op).toBe("update");
    expect(preview.steps.filter((s) => s.op !== "update")).toEqual([]);
    expect(readFileSync(custodyFile(), "utf8")).toBe(damaged);

    const up = expectOk(await node.run("up"));
    expect(up.stdout + up.stderr).toContain(warning);
    expect(up.steps.filter((s) => s.op !== "update")).toEqual([]);
    const [aside, ...more] = backups("damaged");
    expect(more).toEqual([]);
    expect(readFileSync(aside, "utf8")).toBe(damaged);
    expect(readCustody(custodyFile(), CUSTODY_SECRET)!.keys).toEqual(keys);

    const again = expectOk(await node.run("preview"));
    expect(changedNames(again)).toEqual([]);
    expect(again.stdout + again.stderr).not.toContain("cannot be decrypted");
  });

  it("a store that lost its data (restarted on an empty folder) is refused in one line, and nothing changes", async () => {
    server.stop();
    rmSync(join(node.root, "servers", "openbao", "data"), { recursive: true, force: true });
    server.start();
    await expect.poll(() => server.bao(["status"]).status, { timeout: 60_000 }).toBe(2);
    expect(server.status()).toMatchObject({ initialized: false });
    const custodyBefore = readFileSync(custodyFile(), "utf8");
    const message = new RegExp(
      `the secret store at ${server.address.replace(/\./g, "\\.")} answers "not initialized", but this stack holds unseal keys for it \\(in its state and in ${custodyFile().replace(/\./g, "\\.")}\\): ` +
        "its data may be missing \\(a data volume not mounted, a server started on an empty folder\\) or the address may point at another server\\. " +
        "Nothing was changed: .* set edge-security:secretStore\\.reinitialize to true for one run",
    );
    for (const command of ["preview", "up"] as const) {
      const result = await node.run(command);
      expect(result.status, result.stdout).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(message);
      expect(result.stdout + result.stderr).not.toMatch(NO_STACK_TRACE);
      expect(result.stdout + result.stderr).not.toMatch(/SecretStoreError: .*\n.*SecretStoreError/);
    }
    expect(server.status()).toMatchObject({ initialized: false });
    expect(readFileSync(custodyFile(), "utf8")).toBe(custodyBefore);
    expect(backups("superseded")).toEqual([]);
  });

  it("starting over is explicit: with secretStore.reinitialize the store gets new keys, the old custody file is kept dated", async () => {
    configure({ reinitialize: true });
    const up = expectOk(await node.run("up"));
    expect(up.stdout + up.stderr).toMatch(/warning: edge-security:secretStore\.reinitialize is on: .* turn it off after this run/);
    expect(server.status()).toMatchObject({ initialized: true, sealed: false });
    const fresh = readCustody(custodyFile(), CUSTODY_SECRET)!.keys;
    expect(fresh).toHaveLength(3);
    expect(fresh).not.toEqual(keys);
    const [superseded, ...more] = backups("superseded");
    expect(more).toEqual([]);
    expect(readCustody(superseded, CUSTODY_SECRET)!.keys).toEqual(keys);
    // The new store serves the service's token and secrets again.
    expect(server.bao(["kv", "get", "-mount=secret", "edgex/svc-a/db"], tokenOf()).status).toBe(0);

    configure();
    const preview = expectOk(await node.run("preview"));
    // The default provider's record holds the stack's config, so turning the flag off shows there only.
    expect(preview.steps.filter((s) => !s.type.startsWith("pulumi:providers:")).map((s) => s.name), preview.stdout).toEqual([]);
    expect(preview.stdout + preview.stderr).not.toContain("reinitialize is on");
  });
});
