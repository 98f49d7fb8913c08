// The plain etcd clients (no Pulumi) against a real etcd over TLS with client-certificate auth, started by
// scripts/servers/etcd.sh: the bounded wait for a late server, auth enable and adoption, users and roles.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyServiceAccess, inspectServiceAccess } from "../../components/config-store/etcd-access";
import { changeRootPassword, disableAuth, enableAuth, inspectAuth } from "../../components/config-store/etcd-auth-client";
import { closeEtcdClients, EtcdTarget, withEtcd } from "../../components/config-store/etcd-connection";
import { readKeys, writeKeys } from "../../components/config-store/etcd-keys-client";
import { createSelfSignedCa, issueServiceCertificate } from "../../components/pki/client";
import { etcdctl, EtcdServer } from "../support/etcd-server";
import { freePort, refusingPort } from "../support/harness";

describe("etcd clients on a real etcd", { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "edge-it-etcd-"));
  const secretsRoot = join(root, "secrets");
  const serverDir = join(secretsRoot, "etcd");
  let etcd: EtcdServer;
  let target: EtcdTarget;
  let asRoot: (password: string) => { caCert: string; cert: string; key: string; user: string };

  beforeAll(async () => {
    const ca = await createSelfSignedCa({ commonName: "etcd clients test CA", keyType: "ec-p256", lifetimeDays: 2 });
    const server = await issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "etcd", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], keyType: "ec-p256", lifetimeDays: 1 });
    const someone = await issueServiceCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "someone", dnsNames: [], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 1, usage: "client" });
    mkdirSync(serverDir, { recursive: true });
    writeFileSync(join(serverDir, "ca.pem"), ca.certPem);
    writeFileSync(join(serverDir, "cert.pem"), server.certPem);
    writeFileSync(join(serverDir, "key.pem"), server.keyPem, { mode: 0o600 });
    writeFileSync(join(root, "someone.pem"), someone.certPem);
    writeFileSync(join(root, "someone-key.pem"), someone.keyPem, { mode: 0o600 });
    asRoot = (password) => ({ caCert: join(serverDir, "ca.pem"), cert: join(root, "someone.pem"), key: join(root, "someone-key.pem"), user: `root:${password}` });
    const [port, peerPort] = [await freePort(), await freePort()];
    etcd = new EtcdServer({ secretsRoot, dataDir: join(root, "data"), port, peerPort });
    target = { endpoint: etcd.endpoint, caCertPem: ca.certPem, caKeyPem: ca.keyPem, waitTimeoutSeconds: 60 };
  }, 300_000);
  afterAll(() => {
    closeEtcdClients();
    etcd?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("waits for a server that starts late (its readiness file appears after the first call)", async () => {
    etcd.start(); // waits for serverDir/ready
    setTimeout(() => writeFileSync(join(serverDir, "ready"), "{}"), 1_500);
    const started = Date.now();
    expect(await inspectAuth(target, "pw-1")).toBe("disabled");
    expect(Date.now() - started).toBeGreaterThan(1_000);
  });

  it("fails an unreachable endpoint after the configured wait, in one sentence naming it", async () => {
    const port = await refusingPort();
    const started = Date.now();
    await expect(inspectAuth({ ...target, endpoint: `https://127.0.0.1:${port}`, waitTimeoutSeconds: 2 }, "pw")).rejects.toThrow(`etcd at https://127.0.0.1:${port} did not answer within 2 s`);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1_900);
    expect(waited).toBeLessThan(15_000);
  });

  it("enables authentication, then adopts it only with the same root password", async () => {
    expect(await enableAuth(target, "pw-1")).toEqual({ adopted: false });
    expect(await inspectAuth(target, "pw-1")).toBe("enabled");
    expect(await inspectAuth(target, "pw-2")).toBe("locked");
    // A run that died after `auth enable` resumes with the password it set.
    expect(await enableAuth(target, "pw-1")).toEqual({ adopted: true });
    await expect(enableAuth(target, "pw-2")).rejects.toThrow(`etcd at ${etcd.endpoint} already has authentication enabled and refuses this stack's root password`);
    // etcdctl as root with the password; a certificate of an unknown user gets nothing.
    expect((await etcdctl(etcd.endpoint, asRoot("pw-1"), "user", "list")).stdout.split("\n")).toEqual(expect.arrayContaining(["root", "edge-security-admin"]));
    const { user: _u, ...someone } = asRoot("");
    expect((await etcdctl(etcd.endpoint, someone, "get", "x")).stderr).toMatch(/user name not found|permission denied/);
  });

  it("puts the admin user back when it was deleted", async () => {
    expect((await etcdctl(etcd.endpoint, asRoot("pw-1"), "user", "delete", "edge-security-admin")).ok).toBe(true);
    expect(await inspectAuth(target, "pw-1")).toBe("admin-missing");
    expect(await enableAuth(target, "pw-1")).toEqual({ adopted: true });
    expect(await inspectAuth(target, "pw-1")).toBe("enabled");
  });

  it("makes a service's user and role exactly as granted, and sees them change", async () => {
    const grant = { user: "svc-x", readwrite: ["/p/svc-x/"], read: ["/p/Publickeys/", "/p/GlobalEnv/"] };
    await withEtcd(target, undefined, (c) => applyServiceAccess(c, grant));
    expect(await withEtcd(target, undefined, (c) => inspectServiceAccess(c, grant))).toBe("intact");
    expect((await etcdctl(etcd.endpoint, asRoot("pw-1"), "role", "grant-permission", "svc-x", "--prefix=true", "readwrite", "/p/")).ok).toBe(true);
    expect(await withEtcd(target, undefined, (c) => inspectServiceAccess(c, grant))).toBe("changed");
    await withEtcd(target, undefined, (c) => applyServiceAccess(c, grant));
    expect(await withEtcd(target, undefined, (c) => inspectServiceAccess(c, grant))).toBe("intact");
    expect((await etcdctl(etcd.endpoint, asRoot("pw-1"), "user", "delete", "svc-x")).ok).toBe(true);
    expect(await withEtcd(target, undefined, (c) => inspectServiceAccess(c, grant))).toBe("missing");
    // Many parallel changes (etcd rejects calls that raced a user/role change; the client retries them).
    const grants = Array.from({ length: 12 }, (_, i) => ({ user: `svc-${i}`, readwrite: [`/p/svc-${i}/`], read: ["/p/Publickeys/"] }));
    await Promise.all(grants.map((g) => withEtcd(target, undefined, (c) => applyServiceAccess(c, g))));
    for (const g of grants) expect(await withEtcd(target, undefined, (c) => inspectServiceAccess(c, g))).toBe("intact");
    await withEtcd(target, undefined, (c) => writeKeys(c, { "/p/a": "1", "/p/b": "2" }));
    expect(await withEtcd(target, undefined, (c) => readKeys(c, ["/p/a", "/p/b", "/p/none"]))).toEqual({ "/p/a": "1", "/p/b": "2" });
  });

  it("changes root's password, and turns authentication off again", async () => {
    await changeRootPassword(target, "pw-1", "pw-3");
    expect(await inspectAuth(target, "pw-1")).toBe("locked");
    expect(await inspectAuth(target, "pw-3")).toBe("enabled");
    await expect(disableAuth(target, "pw-1")).rejects.toThrow("refuses this stack's root password");
    await disableAuth(target, "pw-3");
    expect(await inspectAuth(target, "pw-3")).toBe("disabled");
    const { user: _u, ...someone } = asRoot("");
    const users = await etcdctl(etcd.endpoint, someone, "user", "list");
    expect(users.stdout.split("\n")).not.toContain("root");
    expect(users.stdout.split("\n")).not.toContain("edge-security-admin");
  });
});
