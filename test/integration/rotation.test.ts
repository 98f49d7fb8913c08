// Rotation and renewal for real: the node stack through the real CLI (`pulumi preview/up` typed in the project
// folder), checked with openssl (certificate serials and dates) and, for tokens, the real `bao` CLI against a
// real OpenBao. Each rotation is previewed (exactly the resources it touches), performed by `up`, and followed by
// a preview that shows no changes.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { changedNames as allChangedNames, expectOk, openssl, PROJECT_ROOT, type RunResult, TestNode } from "../support/harness";
import { OpenBaoServer } from "../support/openbao-server";
import { PgTarget, PrivatePostgres, psql } from "../support/postgres-server";

const read = (path: string) => readFileSync(path, "utf8");
const serialOf = (certPath: string) => openssl("x509", "-in", certPath, "-noout", "-serial").trim().replace("serial=", "").toLowerCase();
const notAfterOf = (certPath: string) => new Date(openssl("x509", "-in", certPath, "-noout", "-enddate").trim().replace("notAfter=", ""));
const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * The resources a run changes. The engine hands the stack's config to the dynamic resources' provider ("default"),
 * so every config change shows that provider as updated: it is not a resource of the node and is left out.
 */
const changedNames = (result: RunResult) => allChangedNames(result).filter((n) => n !== "default");

/** Waits (polling the clock, not the stack) until `at` has passed: the point of the test is time going by. */
async function until(at: number): Promise<void> {
  while (Date.now() < at) await new Promise((r) => setTimeout(r, Math.min(1000, at - Date.now())));
}

describe("certificate rotation and renewal (PKI only)", { timeout: 900_000 }, () => {
  const node = new TestNode("rotation-pki");
  const SERVICES = [{ name: "svc-a", lifetimeDays: 1 }, { name: "svc-b" }, { name: "svc-c" }];
  const cert = (s: string) => join(node.secretsRoot, s, "cert.pem");
  const serials = () => Object.fromEntries(SERVICES.map((s) => [s.name, serialOf(cert(s.name))]));
  let config: Record<string, unknown> = { services: SERVICES };

  beforeAll(async () => {
    node.configure(config);
    expectOk(await node.cli("up"));
  }, 600_000);
  afterAll(() => node.cleanup());

  it("a fresh stack previews no changes (the default renewal window does not touch new certificates)", async () => {
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("rotates one service's certificate: preview shows it and its readiness file only, up does it, then no changes", async () => {
    const before = serials();
    // The documented command: raises rotation.services["svc-b"].certificate in the stack's config, shows the preview.
    const rotate = spawnSync("bash", [join(PROJECT_ROOT, "scripts/rotate.sh"), "certificates", "svc-b", "--stack", node.stack, "--cwd", node.projectDir, "--color", "never", "--non-interactive"], {
      encoding: "utf8",
      env: { ...process.env, PULUMI_BACKEND_URL: `file://${join(node.root, "state")}`, PULUMI_CONFIG_PASSPHRASE: "integration-test", PULUMI_CONFIG_PASSPHRASE_FILE: "" },
    });
    expect(rotate.status, rotate.stderr).toBe(0);
    expect(rotate.stderr).toContain('edge-security:rotation.services["svc-b"].certificate 0 -> 1');
    // `preview --diff`: one block per resource, "+-...: (replace)" then its [urn=...::name] line.
    expect(rotate.stdout).toMatch(/\[urn=\S+::svc-b-cert\]/);
    expect(rotate.stdout).toContain("(replace)");
    expect(rotate.stdout).toMatch(/\+ rotation\s*: 1/);
    expect(rotate.stdout).not.toMatch(/::svc-[ac]-cert\]/);
    config = { ...config, rotation: { services: { "svc-b": { certificate: 1 } } } };
    const stackFile = parseYaml(readFileSync(join(node.projectDir, "stacks", `Pulumi.${node.stack}.yaml`), "utf8"));
    expect(stackFile.config["edge-security:rotation"]).toEqual({ services: { "svc-b": { certificate: 1 } } });
    const preview = expectOk(await node.cli("preview"));
    expect(changedNames(preview)).toEqual(["svc-b-cert", "svc-b-ready"]);
    // Replaced, the old files first (same folder).
    expect(preview.steps.filter((s) => s.name === "svc-b-cert").map((s) => s.op)).toContain("delete-replaced");
    expectOk(await node.cli("up"));
    const after = serials();
    expect(after["svc-b"]).not.toBe(before["svc-b"]);
    expect({ ...after, "svc-b": "" }).toEqual({ ...before, "svc-b": "" });
    expect(JSON.parse(read(join(node.secretsRoot, "svc-b", "ready"))).certificateSerial).toBe(after["svc-b"]);
    expect(openssl("verify", "-CAfile", join(node.secretsRoot, "ca.pem"), cert("svc-b"))).toContain(": OK");
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("rotates every certificate of the node with one counter", async () => {
    const before = serials();
    config = { ...config, rotation: { certificates: 1, services: { "svc-b": { certificate: 1 } } } };
    node.configure(config);
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual(["svc-a-cert", "svc-a-ready", "svc-b-cert", "svc-b-ready", "svc-c-cert", "svc-c-ready"]);
    expectOk(await node.cli("up"));
    const after = serials();
    for (const s of SERVICES) expect(after[s.name], s.name).not.toBe(before[s.name]);
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("renews a certificate inside its renewal window, with its expiry date in the preview, and touches nothing else", async () => {
    // svc-a lives 1 day; a window of 1 day less 90 s puts it inside the window 90 s after it was issued.
    const windowDays = 1 - 90 / 86_400;
    const before = serials();
    const expires = notAfterOf(cert("svc-a"));
    config = { ...config, services: [{ ...SERVICES[0], renewBeforeDays: windowDays }, ...SERVICES.slice(1)] };
    node.configure(config);
    // Before the window the new setting changes nothing.
    if (Date.now() < expires.getTime() - windowDays * DAY_MS - 20_000) expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
    await until(expires.getTime() - windowDays * DAY_MS + 1000);
    const preview = expectOk(await node.cli("preview"));
    expect(changedNames(preview)).toEqual(["svc-a-cert", "svc-a-ready"]);
    expect(preview.stdout + preview.stderr).toContain(`svc-a: certificate expires ${expires.toISOString()}`);
    expectOk(await node.cli("up"));
    const after = serials();
    expect(after["svc-a"]).not.toBe(before["svc-a"]);
    expect(notAfterOf(cert("svc-a")).getTime()).toBeGreaterThan(expires.getTime());
    expect({ ...after, "svc-a": "" }).toEqual({ ...before, "svc-a": "" });
    // The renewed certificate is outside the window again (for the next 90 s).
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("refuses a window as long as the lifetime, naming the key, before anything changes", async () => {
    node.configure({ ...config, services: [{ ...SERVICES[0], renewBeforeDays: 1 }, ...SERVICES.slice(1)] });
    const preview = await node.cli("preview");
    expect(preview.status).not.toBe(0);
    expect(preview.stdout + preview.stderr).toContain("edge-security:services[0].renewBeforeDays: must be less than the certificate's lifetime (1 days");
    node.configure(config);
  });
});

describe("token and password rotation, token renewal and expiry (real OpenBao, real PostgreSQL)", { timeout: 1_800_000 }, () => {
  const node = new TestNode("rotation-store");
  const CLIENTS = ["svc-a", "svc-b"];
  let server: OpenBaoServer;
  let cluster: PrivatePostgres;
  let config: Record<string, any>;
  const tokenFile = (s: string) => join(node.secretsRoot, s, "secrets-token.json");
  const tokenOf = (s: string): string => JSON.parse(read(tokenFile(s))).auth.client_token;
  const tokens = () => Object.fromEntries(CLIENTS.map((s) => [s, tokenOf(s)]));
  const ready = (s: string) => JSON.parse(read(join(node.secretsRoot, s, "ready")));
  const serials = () => Object.fromEntries(CLIENTS.map((s) => [s, serialOf(join(node.secretsRoot, s, "cert.pem"))]));
  /** `bao token lookup` with the token itself: its TTL, or undefined when the store refuses it (revoked, expired). */
  const lookup = (token: string): { ttl: number } | undefined => {
    const res = server.bao(["token", "lookup", "-format=json"], token);
    return res.status === 0 ? { ttl: JSON.parse(res.stdout).data.ttl } : undefined;
  };
  /** svc-a's password as the stack holds it (the secret store's credentials resource, decrypted by the CLI). */
  const passwordOf = (s: string): string => {
    const r = JSON.parse(node.exportState({ showSecrets: true })).deployment.resources.find((x: { urn: string }) => x.urn.endsWith(`::${s}-db-credentials`));
    return typeof r.outputs.password === "string" ? r.outputs.password : JSON.parse(r.outputs.password.plaintext);
  };
  const login = (password: string): PgTarget => ({ host: cluster.host, port: cluster.port, user: "svc_a", password, database: "svc_a" });
  const CUSTODY = { secretStoreCustodySecret: "rotation-it-custody-secret-0123456789-abcdefghij" };
  /** Rewrites the stack config (configure() rewrites the file: the secrets are set again with the CLI). */
  const apply = async (next: Record<string, any>) => {
    config = next;
    node.configure(config, CUSTODY);
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
  };

  beforeAll(async () => {
    server = await OpenBaoServer.create(node);
    cluster = new PrivatePostgres(join(node.root, "pg"), randomBytes(18).toString("base64url"));
    await cluster.start();
    config = {
      services: [{ name: "secretstore" }, ...CLIENTS.map((name) => ({ name }))],
      secretStore: { address: server.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120, tokenPeriod: "1h" },
      databases: { postgres: { port: cluster.port, adminUser: cluster.adminUser, gateway: { service: "svc-a" } } },
    };
    await apply(config);
    server.start();
    expectOk(await node.cli("up"));
  }, 900_000);

  afterAll(async () => {
    server?.stop();
    await cluster?.stop();
    node.cleanup();
  });

  it("a fresh stack previews no changes", async () => {
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
    for (const s of CLIENTS) expect(lookup(tokenOf(s)), s).toBeDefined();
  });

  it("rotates one service's token: old revoked in the store, new token file, its readiness file rewritten; nothing else", async () => {
    const before = tokens();
    const certs = serials();
    await apply({ ...config, rotation: { services: { "svc-a": { token: 1 } } } });
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual(["svc-a-ready", "svc-a-secret-token"]);
    expectOk(await node.cli("up"));
    const after = tokens();
    expect(after["svc-a"]).not.toBe(before["svc-a"]);
    expect(lookup(before["svc-a"])).toBeUndefined();
    expect(lookup(after["svc-a"])).toBeDefined();
    expect(after["svc-b"]).toBe(before["svc-b"]);
    expect(ready("svc-a").rotation).toEqual({ token: 1 });
    expect(ready("svc-b").rotation).toBeUndefined();
    expect(serials()).toEqual(certs);
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("invalidates every token of the node with one counter", async () => {
    const before = tokens();
    const password = passwordOf("svc-a");
    await apply({ ...config, rotation: { tokens: 1, services: { "svc-a": { token: 1 } } } });
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual(["svc-a-ready", "svc-a-secret-token", "svc-b-ready", "svc-b-secret-token"]);
    expectOk(await node.cli("up"));
    const after = tokens();
    for (const s of CLIENTS) {
      expect(lookup(before[s]), s).toBeUndefined();
      expect(lookup(after[s]), s).toBeDefined();
    }
    expect(ready("svc-a").rotation).toEqual({ token: 2 });
    expect(ready("svc-b").rotation).toEqual({ token: 1 });
    expect(passwordOf("svc-a")).toBe(password);
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("rotates a database password: new one in the store and in PostgreSQL (psql), the old one refused", async () => {
    const before = passwordOf("svc-a");
    const tokensBefore = tokens();
    expect((await psql(login(before), "select 1")).ok).toBe(true);
    await apply({ ...config, rotation: { ...config.rotation, services: { "svc-a": { token: 1, password: 1 } } } });
    const preview = changedNames(expectOk(await node.cli("preview")));
    expect(preview).toContain("svc-a-db-credentials");
    expect(preview).toContain("svc-a-ready");
    expect(preview.filter((n) => n.includes("token") || n.includes("cert") || n.startsWith("svc-b"))).toEqual([]);
    expectOk(await node.cli("up"));
    const after = passwordOf("svc-a");
    expect(after).not.toBe(before);
    expect((await psql(login(after), "select 1")).ok).toBe(true);
    expect((await psql(login(before), "select 1")).ok).toBe(false);
    expect(tokens()).toEqual(tokensBefore);
    expect(ready("svc-a").rotation).toEqual({ token: 2, password: 1 });
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("renews tokens inside the renewal window (same tokens, TTL back to the period) and touches nothing else", async () => {
    const before = tokens();
    const files = CLIENTS.map((s) => read(tokenFile(s)));
    await apply({ ...config, secretStore: { ...config.secretStore, tokenRenewBefore: "3500s" } });
    // The tokens enter the window once their TTL (1h from issue) is down to 3500 s.
    const ttl = Math.max(...CLIENTS.map((s) => lookup(before[s])!.ttl));
    await until(Date.now() + (ttl - 3500 + 2) * 1000);
    const preview = expectOk(await node.cli("preview"));
    expect(changedNames(preview)).toEqual(["svc-a-secret-token", "svc-b-secret-token"]);
    expect(preview.stdout + preview.stderr).toMatch(/svc-b: its secret-store token expires \d{4}-\d\d-\d\dT[\d:.]+Z?, inside its renewal window \(3500s\)/);
    expectOk(await node.cli("up"));
    expect(tokens()).toEqual(before);
    expect(CLIENTS.map((s) => read(tokenFile(s)))).toEqual(files);
    for (const s of CLIENTS) expect(lookup(before[s])!.ttl, s).toBeGreaterThan(3500);
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });

  it("a node that was off for longer than the token period gets working tokens on its next up", async () => {
    // A one-minute period (the new period reissues the tokens), a window of 1 s; then nothing renews them.
    await apply({ ...config, secretStore: { ...config.secretStore, tokenPeriod: "60s", tokenRenewBefore: "1s" } });
    expectOk(await node.cli("up"));
    const issued = tokens();
    await until(Date.now() + 62_000);
    for (const s of CLIENTS) expect(lookup(issued[s]), s).toBeUndefined();
    const preview = expectOk(await node.cli("preview"));
    expect(changedNames(preview)).toEqual(["svc-a-secret-token", "svc-b-secret-token"]);
    expect(preview.stdout + preview.stderr).toContain("svc-a: its secret-store token expired or was revoked: a new token replaces it");
    expectOk(await node.cli("up"));
    const after = tokens();
    for (const s of CLIENTS) {
      expect(after[s], s).not.toBe(issued[s]);
      expect(lookup(after[s]), s).toBeDefined();
    }
    expect(changedNames(expectOk(await node.cli("preview")))).toEqual([]);
  });
});
