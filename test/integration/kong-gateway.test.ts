// The gateway on Kong, driven by the real CLI through the runner, with a real OpenBao (the gateway certificate is
// read back from it) and the Kong stand-in (test/kong/stand-in.ts) on a loopback port, since Kong cannot run
// here. Every request the provider sends and every answer the stand-in gives is checked against Kong's OpenAPI
// file; each test ends by asserting there was no violation.
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { importSPKI, jwtVerify, decodeProtectedHeader } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deterministicId, ownerTag } from "../../components/gateway/kong/kong-admin";
import { KONG_OPENAPI } from "../kong/contract";
import { KongStandIn } from "../kong/stand-in";
import { expectOk, PROJECT_ROOT, refusingPort, RunResult, TestNode } from "../support/harness";
import { OpenBaoServer } from "../support/openbao-server";

const CUSTODY = { secretStoreCustodySecret: "kong-it-custody-secret-0123456789abcdefghij" };
const ROUTES_TOML = `
[Routes.core-data]
Name = "core-data"
Protocol = "http"
Host = "127.0.0.1"
Port = 59880

[Routes.core-command]
Name = "core-command"
Protocol = "http"
Host = "127.0.0.1"
Port = 59882
Groups = ["operators"]

[Routes.ui]
Name = "ui"
Protocol = "http"
Host = "127.0.0.1"
Port = 4000
Public = true
`;

/** One error line containing `line`, and no stack trace anywhere. */
function expectOneLineError(result: RunResult, line: string | RegExp): void {
  expect(result.status).not.toBe(0);
  const errors = (result.stdout + result.stderr).split("\n").filter((l) => /^\s*error: /.test(l) || l.startsWith("edge-node: "));
  expect(errors.some((l) => (typeof line === "string" ? l.includes(line) : line.test(l))), result.stdout + result.stderr).toBe(true);
  expect(result.stdout + result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout + result.stderr).not.toMatch(/\bat \S+ \(\/\S+:\d+:\d+\)/);
}

describe.skipIf(!KONG_OPENAPI)("gateway on Kong (real CLI, real OpenBao, Kong stand-in checked against Kong's OpenAPI)", { timeout: 900_000 }, () => {
  const node = new TestNode("kong");
  const routesFile = join(node.root, "routes.toml");
  const certId = deterministicId("kong", "gateway-tls");
  let server: OpenBaoServer;
  let kong: KongStandIn;

  const config = (kongOverrides: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
    services: [{ name: "secretstore", hostnames: ["secretstore"], includeLocalhost: false, extraSans: ["127.0.0.1"] }, { name: "kong", hostnames: ["edgex-kong"], ...((extra.kongService as object) ?? {}) }],
    secretStore: { address: server.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
    gateway: { kind: "kong", routesFile, extraRoutes: [{ name: "rules", url: "http://127.0.0.1:59701/api/v2" }], kong: { adminUrl: kong.url, adminWaitSeconds: 60, users: [{ name: "alice", groups: ["operators"] }], ...kongOverrides } },
  });
  const userDir = () => join(node.secretsRoot, "gateway-users", "alice");

  beforeAll(async () => {
    writeFileSync(routesFile, ROUTES_TOML);
    kong = await KongStandIn.start();
    server = await OpenBaoServer.create(node);
    node.configure(config(), CUSTODY);
    server.start();
    expectOk(await node.run("up"));
  }, 900_000);

  afterEach(() => {
    expect(kong.violations).toEqual([]);
  });

  afterAll(async () => {
    server?.stop();
    await kong?.stop();
    node.cleanup();
  });

  it("first up: a service, route and plugins per route (JWT with exp checked, ACL), nothing on the public one", () => {
    const routes = kong.all("routes");
    expect(routes.map((r) => r.name).sort()).toEqual(["core-command", "core-data", "rules", "ui"]);
    for (const r of routes) expect(r).toMatchObject({ strip_path: true, paths: [`/${r.name}`], tags: [ownerTag("kong")] });
    const rules = kong.find("services", "rules")!;
    expect(rules).toMatchObject({ host: "127.0.0.1", port: 59701, path: "/api/v2", protocol: "http" });
    const pluginsOf = (name: string) => kong.all("plugins").filter((p) => p.route?.id === kong.find("routes", name)!.id);
    expect(pluginsOf("ui")).toEqual([]);
    const jwt = pluginsOf("core-data").find((p) => p.name === "jwt")!;
    expect(jwt.config).toMatchObject({ claims_to_verify: ["exp"], maximum_expiration: 3600, key_claim_name: "iss" });
    expect(pluginsOf("core-data").find((p) => p.name === "acl")!.config.allow).toEqual(["gateway-users"]);
    expect(pluginsOf("core-command").find((p) => p.name === "acl")!.config.allow).toEqual(["operators"]);
  });

  it("applies the gateway certificate from the secret store under its deterministic id, with its SNIs", () => {
    const cert = kong.store.certificates.get(certId)!;
    expect(cert.cert).toBe(readFileSync(join(node.secretsRoot, "kong", "cert.pem"), "utf8"));
    expect(cert.key).toBe(readFileSync(join(node.secretsRoot, "kong", "key.pem"), "utf8"));
    expect(kong.all("snis").map((s) => [s.name, s.certificate.id]).sort()).toEqual([["edgex-kong", certId], ["localhost", certId]]);
  });

  it("makes the user: consumer, ACL groups, a JWT credential with the public key; the private key only in the 0700 folder", () => {
    const consumer = kong.find("consumers", "alice")!;
    expect(kong.all("acls").filter((a) => a.consumer.id === consumer.id).map((a) => a.group).sort()).toEqual(["gateway-users", "operators"]);
    const [cred] = kong.all("jwt").filter((c) => c.consumer.id === consumer.id);
    expect(cred.algorithm).toBe("ES256");
    expect(cred.rsa_public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(statSync(userDir()).mode & 0o777).toBe(0o700);
    expect(statSync(join(userDir(), "jwt-private.pem")).mode & 0o777).toBe(0o600);
    const privateKey = readFileSync(join(userDir(), "jwt-private.pem"), "utf8");
    const body = privateKey.split("\n")[1];
    expect(node.exportState({ showSecrets: true })).not.toContain(body);
  });

  it("a second up changes nothing", async () => {
    const before = kong.log.length;
    const second = expectOk(await node.run("up"));
    expect(Object.keys(second.changeSummary).filter((k) => k !== "same")).toEqual([]);
    // And it sent Kong no write.
    expect(kong.log.slice(before).filter((l) => l.method !== "GET")).toEqual([]);
  });

  it("the documented command makes a JWT that verifies with the user's public key and carries exp", async () => {
    const run = spawnSync(join(PROJECT_ROOT, "node_modules/.bin/tsx"), [join(PROJECT_ROOT, "bin/kong-jwt.ts"), userDir(), "--ttl", "600"], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const token = run.stdout.trim();
    const consumer = kong.find("consumers", "alice")!;
    const cred = kong.all("jwt").find((c) => c.consumer.id === consumer.id)!;
    const { payload } = await jwtVerify(token, await importSPKI(cred.rsa_public_key, "ES256"), { issuer: cred.key });
    expect(decodeProtectedHeader(token).alg).toBe("ES256");
    const now = Math.floor(Date.now() / 1000);
    expect(payload.exp).toBeGreaterThan(now);
    expect(payload.exp! - now).toBeLessThanOrEqual(600);
    const tooLong = spawnSync(join(PROJECT_ROOT, "node_modules/.bin/tsx"), [join(PROJECT_ROOT, "bin/kong-jwt.ts"), userDir(), "--ttl", "7200"], { encoding: "utf8" });
    expect(tooLong.status).toBe(2);
    expect(tooLong.stderr).toBe("kong-jwt: --ttl: 7200 s is more than the gateway accepts (3600 s, gateway.kong.jwt.maximumExpirationSeconds)\n");
  });

  it("a route deleted out of band is seen by refresh and restored by up", async () => {
    const res = await fetch(`${kong.url}/routes/core-data`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(kong.find("routes", "core-data")).toBeUndefined();
    expectOk(await node.run("refresh"));
    expect(node.stateOutputs("gateway-route-core-data").drift).toEqual(["route missing", "plugin jwt missing", "plugin acl missing"]);
    const up = expectOk(await node.run("up"));
    expect(up.steps.filter((s) => s.op !== "same").map((s) => s.name)).toEqual(["gateway-route-core-data"]);
    expect(kong.find("routes", "core-data")).toMatchObject({ paths: ["/core-data"] });
    expect(kong.all("plugins").filter((p) => p.route?.id === kong.find("routes", "core-data")!.id).map((p) => p.name).sort()).toEqual(["acl", "jwt"]);
  });

  it("a new gateway certificate (rotated through the store) is applied by the next up under the same id", async () => {
    const oldCert = kong.store.certificates.get(certId)!.cert;
    node.configure(config({}, { kongService: { lifetimeDays: 200 } }), CUSTODY);
    expectOk(await node.run("up"));
    const newCert = readFileSync(join(node.secretsRoot, "kong", "cert.pem"), "utf8");
    expect(newCert).not.toBe(oldCert);
    expect(kong.all("certificates").map((c) => c.id)).toEqual([certId]);
    expect(kong.store.certificates.get(certId)!.cert).toBe(newCert);
  });

  it("an SNI bound to a certificate this stack does not own: one line naming both, nothing changed", async () => {
    const foreign = "22222222-2222-4222-8222-222222222222";
    await fetch(`${kong.url}/certificates/${foreign}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ cert: "C", key: "K" }) });
    await fetch(`${kong.url}/snis/gw.example`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "gw.example", certificate: { id: foreign } }) });
    const certBefore = kong.store.certificates.get(certId)!.cert;
    node.configure(config({}, { kongService: { lifetimeDays: 200, hostnames: ["edgex-kong", "gw.example"] } }), CUSTODY);
    const result = await node.run("up");
    expectOneLineError(result, `Kong's SNI "gw.example" is bound to certificate ${foreign}, which this stack does not own (its certificate is ${certId})`);
    expect(kong.store.certificates.get(certId)!.cert).toBe(certBefore);
    expect(kong.find("snis", "gw.example")!.certificate.id).toBe(foreign);
    expect(kong.store.certificates.get(foreign)).toBeDefined();
    // Back to the stack's own names.
    node.configure(config({}, { kongService: { lifetimeDays: 200 } }), CUSTODY);
    expectOk(await node.run("up"));
  });

  it("switching JWT to OAuth2 shows exactly that in preview; up applies it; the client secret is only a secret", async () => {
    node.configure(config({ auth: "oauth2" }, { kongService: { lifetimeDays: 200 } }), CUSTODY);
    const preview = expectOk(await node.run("preview"));
    const changed = preview.steps.filter((s) => s.op !== "same" && !s.type.startsWith("pulumi:providers:"));
    expect(changed.map((s) => s.name).sort()).toEqual(["gateway-route-core-command", "gateway-route-core-data", "gateway-route-rules", "gateway-user-alice"]);
    expect(changed.map((s) => s.op)).toEqual(changed.map(() => "update"));
    // The dynamic providers give the engine no per-field diff; the CLI's --diff display shows the inputs' change.
    expect((preview.stdout.match(/~ auth\s*:\s*"jwt"\s*=>\s*"oauth2"/g) ?? []).length, preview.stdout).toBe(3);
    expectOk(await node.run("up"));
    const plugins = kong.all("plugins").filter((p) => p.route?.id === kong.find("routes", "core-data")!.id);
    expect(plugins.map((p) => p.name).sort()).toEqual(["acl", "oauth2"]);
    expect(plugins.find((p) => p.name === "oauth2")!.config).toMatchObject({ enable_client_credentials: true, token_expiration: 7200 });
    const consumer = kong.find("consumers", "alice")!;
    const oauth = kong.all("oauth2").filter((c) => c.consumer.id === consumer.id);
    expect(oauth).toHaveLength(1);
    expect(kong.all("jwt").filter((c) => c.consumer.id === consumer.id)).toEqual([]);
    const client = JSON.parse(readFileSync(join(userDir(), "oauth2-client.json"), "utf8"));
    expect(client).toMatchObject({ client_id: oauth[0].client_id, client_secret: oauth[0].client_secret, token_path: "/core-data/oauth2/token" });
    expect(statSync(join(userDir(), "oauth2-client.json")).mode & 0o777).toBe(0o600);
    expect(node.exportState()).not.toContain(oauth[0].client_secret);
  });

  it("bad input, one line each, nothing changed: a mapping error, an unreachable Admin API, a 401", async () => {
    const base = config({ auth: "oauth2" }, { kongService: { lifetimeDays: 200 } });
    const writesBefore = () => kong.log.filter((l) => l.method !== "GET").length;
    const before = writesBefore();

    writeFileSync(routesFile, ROUTES_TOML.replace("Port = 59880", "Port = 70000"));
    expectOneLineError(await node.run("up"), `${routesFile} [Routes.core-data]: Port: must be from 1 to 65535`);
    writeFileSync(routesFile, ROUTES_TOML);

    const closed = await refusingPort();
    node.configure({ ...base, gateway: { ...base.gateway, kong: { ...base.gateway.kong, adminUrl: `http://127.0.0.1:${closed}`, adminWaitSeconds: 3 } } }, CUSTODY);
    expectOneLineError(await node.run("up"), `Kong's Admin API at http://127.0.0.1:${closed} did not answer within 3 s (gateway.kong.adminWaitSeconds): is not reachable (ECONNREFUSED)`);

    const guarded = await KongStandIn.start({ adminKey: "the-right-admin-key" });
    try {
      const adminCredValue = "a-wrong-admin-key-value";
      node.configure({ ...base, gateway: { ...base.gateway, kong: { ...base.gateway.kong, adminUrl: guarded.url } } }, { ...CUSTODY, "gateway.kong.adminCredentials.value": adminCredValue });
      const refused = await node.run("up");
      expectOneLineError(refused, `Kong's Admin API at ${guarded.url} refused GET / (401: Unauthorized); check gateway.kong.adminCredentials`);
      expect(refused.stdout + refused.stderr).not.toContain(adminCredValue);
      expect(node.exportState()).not.toContain(adminCredValue);
      expect(guarded.violations).toEqual([]);
      expect(guarded.all("routes")).toEqual([]);
    } finally {
      await guarded.stop();
    }
    expect(writesBefore()).toBe(before);
    node.configure(base, CUSTODY);
    const back = expectOk(await node.run("up"));
    // The failed runs changed nothing, so the config as before is no change at all.
    expect(back.steps.filter((s) => s.op !== "same" && !s.type.startsWith("pulumi:providers:")).map((s) => s.name)).toEqual([]);
  });

  it("Kong routes it did not make on one of its paths, found on the last of many pages: refused by name", async () => {
    const ids = Array.from({ length: 205 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const service = { id: "33333333-3333-4333-8333-333333333333", name: "foreign", protocol: "http", host: "127.0.0.1", port: 1, enabled: true, created_at: 1 };
    kong.store.services.set(service.id, service);
    ids.forEach((id, i) => kong.store.routes.set(id, { id, name: `foreign-${i}`, paths: [`/foreign-${i}`], service: { id: service.id }, protocols: ["http"], created_at: 1 }));
    try {
      const base = config({ auth: "oauth2" }, { kongService: { lifetimeDays: 200 } });
      const pagesBefore = kong.log.filter((l) => l.path.startsWith("/routes?offset=")).length;
      node.configure({ ...base, gateway: { ...base.gateway, extraRoutes: [...base.gateway.extraRoutes, { name: "foreign-204", url: "http://127.0.0.1:1" }] } }, CUSTODY);
      const result = await node.run("up");
      expectOneLineError(result, `gateway route "foreign-204": Kong route "foreign-204" (not made by this stack) already serves /foreign-204`);
      // 209 routes in pages of 7: the first page and 29 more, each reached through `next`.
      expect(kong.log.filter((l) => l.path.startsWith("/routes?offset=")).length - pagesBefore).toBe(29);
      expect(kong.find("routes", "foreign-204")!.tags).toBeUndefined();
    } finally {
      ids.forEach((id) => kong.store.routes.delete(id));
      kong.store.services.delete(service.id);
      node.configure(config({ auth: "oauth2" }, { kongService: { lifetimeDays: 200 } }), CUSTODY);
    }
  });

  it("destroy removes what the stack made and nothing else", async () => {
    const foreign = "22222222-2222-4222-8222-222222222222";
    expectOk(await node.run("destroy"));
    expect(kong.all("routes")).toEqual([]);
    expect(kong.all("services")).toEqual([]);
    expect(kong.all("consumers")).toEqual([]);
    expect(kong.all("plugins")).toEqual([]);
    expect(kong.store.certificates.has(certId)).toBe(false);
    expect([...kong.store.certificates.keys()]).toEqual([foreign]);
    expect(kong.all("snis").map((s) => s.name)).toEqual(["gw.example"]);
  });
});
