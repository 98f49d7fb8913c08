// The NGINX gateway in EdgeX 4's shape, proved with a real EdgeX service: an edgex4 node provisioned with `pulumi up`
// (real OpenBao over TLS, a private PostgreSQL), the real NGINX and the auth service (scripts/servers/), EdgeX 4's
// route table (stacks/edgex/routes.toml, core-keeper's port set to the test's), and unmodified core-keeper built from
// ../shared/edgex behind it. A user made by the stack (as `secrets-config proxy adduser` makes one) logs in through
// the gateway, gets a JWT, and core-keeper's authenticated API answers 200 through NGINX; no token is 401; a user
// removed from the stack is refused at once (introspection). The store's lockout is the stack's, a locked user is
// told from a changed password by `refresh`, and logins through the gateway are rate limited (429).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, generateRootToken } from "../../components/secret-store/client";
import { readCustody } from "../../components/secret-store/custody";
import { edgexServicePolicy } from "../../components/layouts/edgex4";
import { EdgexService, edgexBinariesMissing } from "../support/edgex-services";
import { changedNames, expectOk, freePort, TestNode } from "../support/harness";
import { edgexRoutesFile, GatewayClient, GatewayServers, gatewayReady, gatewayUserToken } from "../support/nginx-server";
import { OpenBaoServer } from "../support/openbao-server";
import { PrivatePostgres } from "../support/postgres-server";
import { sharedPath } from "../support/shared";

const EDGEX = sharedPath("edgex", "the EdgeX gateway test (test/integration/edgex-gateway.test.ts)");
const KEEPER = "core-keeper";
const GATEWAY = "nginx";
const CUSTODY_SECRET = "edgex-gateway-it-custody-secret-0123456789abcdef";
const EDGEX_ROUTES = ["app-rules-engine", "core-command", "core-data", "core-keeper", "core-metadata", "device-rest", "device-virtual", "rules-engine", "support-notifications", "support-scheduler"];

describe.skipIf(!EDGEX)("the NGINX gateway in EdgeX 4's shape in front of a real core-keeper", { timeout: 900_000 }, () => {
  let node: TestNode;
  let store: OpenBaoServer;
  let cluster: PrivatePostgres;
  let keeper: EdgexService;
  let servers: GatewayServers;
  let client: GatewayClient;
  let listen: string;
  let authPort: number;
  let routesFile: string;
  const seen: string[] = [];

  const config = (users: unknown[]) => ({
    layout: "edgex4",
    services: [{ name: "secretstore", hostnames: ["secretstore"], extraSans: ["127.0.0.1"] }, { name: KEEPER }, { name: GATEWAY }],
    secretStore: { address: store.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
    databases: { postgres: { port: cluster.port, adminUser: cluster.adminUser } },
    gateway: { kind: "nginx", routesFile, nginx: { listen, authListen: `127.0.0.1:${authPort}`, users, lockout: { threshold: 3, duration: "10m" }, loginRate: "30r/m", loginBurst: 10 } },
  });
  const outputs = () => JSON.parse(node.pulumi("stack", "output", "--json", "--show-secrets", "--stack", node.stack));
  const tokenFor = async (user: string): Promise<string> => {
    const { password, jwt } = await gatewayUserToken(node, client, user);
    seen.push(password, jwt);
    return jwt;
  };
  const bearer = (jwt: string) => ({ headers: { authorization: `Bearer ${jwt}` } });
  const caPem = () => readFileSync(join(node.secretsRoot, "ca.pem"), "utf8");
  const endpoint = () => ({ address: store.address, caPem: caPem() });
  const rootToken = async () => generateRootToken(endpoint(), readCustody(join(node.root, "custody", `${node.stack}.secret-store.custody`), CUSTODY_SECRET)!.keys);
  const liveOf = (name: string) => JSON.parse(node.exportState()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith(`::${name}`))?.outputs?.live;

  beforeAll(async () => {
    const missing = edgexBinariesMissing([KEEPER]);
    if (missing) throw new Error(`${missing}: the EdgeX binaries are built by npm run setup (scripts/edgex/build.sh)`);
    node = new TestNode("edgex-gw");
    cluster = new PrivatePostgres(join(node.root, "pg"), randomBytes(18).toString("base64url"));
    await cluster.start();
    store = await OpenBaoServer.create(node);
    listen = `127.0.0.1:${await freePort()}`;
    authPort = await freePort();
    const database = { host: cluster.host, port: cluster.port };
    keeper = new EdgexService({ service: KEEPER, workDir: join(node.root, "edgex"), store: { host: "127.0.0.1", port: store.port, protocol: "https", caCertPath: join(node.secretsRoot, KEEPER, "ca.pem") }, tokenFile: join(node.secretsRoot, KEEPER, "secrets-token.json"), database, messageBusDisabled: true });
    keeper.port = await freePort();
    // EdgeX 4's route table as the stack ships it, with core-keeper where this test runs it.
    routesFile = edgexRoutesFile(node, { [KEEPER]: keeper.port });
    servers = new GatewayServers(node, GATEWAY);
    node.configure(config([{ name: "alice" }, { name: "bob" }]), { secretStoreCustodySecret: CUSTODY_SECRET });
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
    store.start();
    servers.start();
    expectOk(await node.run("up"));
    await keeper.start();
    client = new GatewayClient(`https://${listen}`, caPem());
    await gatewayReady(client, "/core-keeper/api/v3/registry/all");
  }, 900_000);

  afterAll(async () => {
    await client?.close();
    await keeper?.stop();
    servers?.stop();
    store?.stop();
    await cluster?.stop();
    node?.cleanup();
  });

  it("serves EdgeX 4's route table and makes users as secrets-config proxy adduser does", async () => {
    expect(Object.keys(outputs().gateway.routes).sort()).toEqual(EDGEX_ROUTES);
    const root = await rootToken();
    const policy = await call(endpoint(), "GET", "sys/policies/acl/edgex-user-alice", { token: root });
    expect(policy.json.data.policy.trim()).toBe(edgexServicePolicy("alice"));
    const entity = await call(endpoint(), "GET", "identity/entity/name/alice", { token: root });
    expect(entity.json.data).toMatchObject({ metadata: { name: "alice" }, policies: ["edgex-user-alice"] });
    const user = await call(endpoint(), "GET", "auth/userpass/users/alice", { token: root });
    expect(user.json.data).toMatchObject({ token_period: 3600, token_policies: [] });
    const role = await call(endpoint(), "GET", "identity/oidc/role/alice", { token: root });
    expect(role.json.data).toMatchObject({ key: "edgex-identity", client_id: "edgex", ttl: 3600 });
    expect(JSON.parse(role.json.data.template)).toEqual({ name: "alice" });
    const tokenRole = await call(endpoint(), "GET", "auth/token/roles/alice", { token: root });
    expect(tokenRole.json.data).toMatchObject({ allowed_entity_aliases: ["alice"], allowed_policies: ["edgex-user-alice"], orphan: true });
    // The lockout is the stack's, not OpenBao's default.
    const tune = await call(endpoint(), "GET", "sys/auth/userpass/tune", { token: root });
    expect(tune.json.data).toMatchObject({ user_lockout_threshold: 3, user_lockout_duration: 600, user_lockout_disable: false });
  });

  it("a user logs in through the gateway and real core-keeper answers 200 through NGINX; no token 401", async () => {
    const jwt = await tokenFor("alice");
    expect(decodeJwt(jwt)).toMatchObject({ iss: "/v1/identity/oidc", aud: "edgex", name: "alice" });
    const res = await client.send("/core-keeper/api/v3/registry/all", bearer(jwt));
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ apiVersion: "v3", statusCode: 200 });
    expect((await client.send("/core-keeper/api/v3/registry/all")).status).toBe(401);
    // A forged signature on the same claims: the store's introspection refuses it.
    const [h, p] = jwt.split(".");
    expect((await client.send("/core-keeper/api/v3/registry/all", bearer(`${h}.${p}.${randomBytes(96).toString("base64url")}`))).status).toBe(401);
  });

  it("a user removed from the stack is refused at once, its JWT still unexpired", async () => {
    const jwt = await tokenFor("bob");
    expect((await client.send("/core-keeper/api/v3/registry/all", bearer(jwt))).status).toBe(200);
    node.configure(config([{ name: "alice" }]), { secretStoreCustodySecret: CUSTODY_SECRET });
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
    const up = expectOk(await node.run("up"));
    expect(changedNames(up)).toContain("gateway-user-bob");
    expect(decodeJwt(jwt).exp! * 1000).toBeGreaterThan(Date.now());
    const before = servers.authLog.length;
    expect((await client.send("/core-keeper/api/v3/registry/all", bearer(jwt))).status).toBe(401);
    // Refused by the gateway itself (core-keeper, which introspects too, never saw it).
    expect(servers.authLog.slice(before)).toMatch(/refused 401 GET \/core-keeper\/api\/v3\/registry\/all route=core-keeper .*token refused by the store/);
  });

  it("refresh tells a locked-out user from a changed password; logins through the gateway are rate limited", async () => {
    // Three wrong passwords straight at the store (the gateway's limit is checked below) lock alice out.
    for (let i = 0; i < 3; i++) {
      const res = await call(endpoint(), "POST", "auth/userpass/login/alice", { body: { password: "wrong" }, accept: [400, 403] });
      expect(res.status).toBe(400);
    }
    const out = outputs().gateway.users.alice;
    expect((await client.send(out.loginPath, { method: "POST", body: { password: out.password } })).status).toBe(403);
    expectOk(await node.run("refresh"));
    expect(liveOf("gateway-user-alice")).toBe("locked-out");
    // Nothing for `up` to do: the password is unchanged.
    expect(changedNames(expectOk(await node.run("preview")))).not.toContain("gateway-user-alice");
    // Through the gateway: a burst of logins from one address meets NGINX's limit (429) before the store.
    const statuses = await Promise.all(Array.from({ length: 25 }, () => client.send("/vault/v1/auth/userpass/login/nobody", { method: "POST", body: { password: "x" } }).then((r) => r.status)));
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s !== 429).length).toBeLessThanOrEqual(11);
  });

  it("no password or token of the run in the state's plain text", () => {
    const state = node.exportState();
    for (const secret of seen) expect(state.includes(secret)).toBe(false);
  });
});
