// The EdgeX 4 layout's secret store against a real OpenBao: `pulumi up` of an edgex4 stack, checked with the HTTP
// calls EdgeX's go-mod-secrets makes with each service's token file (X-Vault-Token: lookup-self, renew-self, KV v1
// read/write/list of /v1/secret/edgex/<svc>/..., GET /v1/identity/oidc/token/<svc>, POST
// /v1/identity/oidc/introspect) and with the real `bao` CLI on a root token made from the keys.
// (../shared/contracts/edgex-4.md sections 1a-1d say what EdgeX expects, with EdgeX's file and line.)
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCustody } from "../../components/secret-store/custody";
import { generateRootToken } from "../../components/secret-store/client";
import { randomBytes } from "node:crypto";
import { changedNames, expectOk, TestNode } from "../support/harness";
import { PrivatePostgres, psql } from "../support/postgres-server";
import { OpenBaoServer } from "../support/openbao-server";

const CUSTODY_SECRET = "integration-custody-secret-0123456789-abcdefghij";
// core-data, core-keeper, core-command: EdgeX services with their defaults (postgres for the first two, message-bus
// for all three); device-virtual: added known secrets; device-rest: only through edgex.addSecretstoreTokens.
const LISTED = ["core-data", "core-keeper", "core-command", "device-virtual"];
const CLIENTS = [...LISTED, "device-rest"];

interface Answer {
  status: number;
  json: any;
}

describe("EdgeX 4 layout: the secret store as EdgeX services use it, on a real OpenBao", { timeout: 900_000 }, () => {
  const node = new TestNode("edgex");
  let server: OpenBaoServer;
  let cluster: PrivatePostgres;
  let keys: string[];
  let agent: Agent;
  let firstUp: Awaited<ReturnType<TestNode["run"]>>;

  /** One call as go-mod-secrets makes it: the token in X-Vault-Token, JSON bodies. */
  async function vault(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
    const res = await request(new URL(path, server.address), {
      method: method === "LIST" ? "GET" : (method as "GET"),
      query: method === "LIST" ? { list: "true" } : undefined,
      headers: { ...(token ? { "x-vault-token": token } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: agent,
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
  }

  const tokenFile = (service: string): string => join(node.secretsRoot, service, "secrets-token.json");
  const tokenOf = (service: string): string => JSON.parse(readFileSync(tokenFile(service), "utf8")).auth.client_token;
  const claims = (jwt: string): Record<string, any> => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));

  async function withRoot<T>(work: (root: string) => Promise<T> | T): Promise<T> {
    const root = await generateRootToken({ address: server.address, caPem: readFileSync(join(node.root, "ca-copy.pem"), "utf8") }, keys);
    try {
      return await work(root);
    } finally {
      await vault("POST", "/v1/auth/token/revoke-self", root);
    }
  }

  beforeAll(async () => {
    // PostgreSQL with passwords really checked (scram-sha-256): the layout's edgex_db, a role and schema per service.
    cluster = new PrivatePostgres(join(node.root, "pg"), randomBytes(18).toString("base64url"));
    await cluster.start();
    server = await OpenBaoServer.create(node);
    node.configure(
      {
        layout: "edgex4",
        services: [{ name: "secretstore", hostnames: ["secretstore"], extraSans: ["127.0.0.1"] }, ...LISTED.map((name) => ({ name }))],
        secretStore: { address: server.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
        databases: { postgres: { port: cluster.port, adminUser: cluster.adminUser } },
        edgex: { addSecretstoreTokens: ["device-rest"], addKnownSecrets: { postgres: ["device-virtual"], "message-bus": ["device-virtual", "device-rest"], redisdb: ["core-data"] } },
      },
      { secretStoreCustodySecret: CUSTODY_SECRET },
    );
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
    server.start();
    firstUp = expectOk(await node.run("up"));
    keys = readCustody(join(node.root, "custody", `${node.stack}.secret-store.custody`), CUSTODY_SECRET)!.keys;
    writeFileSync(join(node.root, "ca-copy.pem"), readFileSync(join(node.secretsRoot, "ca.pem")));
    agent = new Agent({ connect: { ca: readFileSync(join(node.secretsRoot, "ca.pem"), "utf8") } });
  }, 900_000);

  afterAll(async () => {
    await agent?.close();
    await cluster?.stop();
    server?.stop();
    node.cleanup();
  });

  it("mounts KV version 1 at secret/ (go-mod-secrets reads flat v1 entries)", async () => {
    const mounts = await withRoot((root) => vault("GET", "/v1/sys/mounts", root));
    expect(mounts.json.data["secret/"]).toMatchObject({ type: "kv", options: { version: "1" } });
  });

  it("writes each service's token file as EdgeX's file token provider does: the login response, folder 0700, file 0600", () => {
    for (const service of CLIENTS) {
      expect(statSync(join(node.secretsRoot, service)).mode & 0o777).toBe(0o700);
      expect(statSync(tokenFile(service)).mode & 0o777).toBe(0o600);
      const response = JSON.parse(readFileSync(tokenFile(service), "utf8"));
      expect(response.auth.client_token).toMatch(/^s\./);
      expect(response.auth.entity_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.auth.metadata).toEqual({ username: service });
    }
    expect(existsSync(tokenFile("secretstore"))).toBe(false);
  });

  it("each token is entity-bound, periodic 1h and renewable; renew-self works (go-mod-secrets at start and every period/2)", async () => {
    for (const service of CLIENTS) {
      const token = tokenOf(service);
      const self = await vault("GET", "/v1/auth/token/lookup-self", token);
      expect(self.status).toBe(200);
      expect(self.json.data.entity_id).toBe(JSON.parse(readFileSync(tokenFile(service), "utf8")).auth.entity_id);
      expect(self.json.data.period).toBe(3600);
      expect(self.json.data.renewable).toBe(true);
      expect(self.json.data.orphan).toBe(true);
      expect(self.json.data.identity_policies).toEqual([`edgex-service-${service}`]);
      const renewed = await vault("POST", "/v1/auth/token/renew-self", token, {});
      expect(renewed.status).toBe(200);
      expect(renewed.json.auth.lease_duration).toBe(3600);
    }
  });

  it("each service reads and writes its own KV v1 path and is refused every other service's", async () => {
    for (const reader of CLIENTS) {
      const token = tokenOf(reader);
      expect((await vault("POST", `/v1/secret/edgex/${reader}/probe`, token, { from: reader })).status).toBe(204);
      const read = await vault("GET", `/v1/secret/edgex/${reader}/probe`, token);
      expect(read.json.data).toEqual({ from: reader });
      expect((await vault("LIST", `/v1/secret/edgex/${reader}`, token)).json.data.keys).toContain("probe");
      for (const owner of CLIENTS.filter((s) => s !== reader)) {
        expect((await vault("GET", `/v1/secret/edgex/${owner}/probe`, token)).status).toBe(403);
        expect((await vault("POST", `/v1/secret/edgex/${owner}/probe`, token, { from: reader })).status).toBe(403);
      }
      expect((await vault("GET", "/v1/sys/mounts", token)).status).toBe(403);
    }
  });

  it("keeps the known secrets EdgeX's secretstore-setup makes: postgres with EdgeX's usernames, one message-bus password, redisdb where asked", async () => {
    const entry = async (service: string, name: string) => (await vault("GET", `/v1/secret/edgex/${service}/${name}`, tokenOf(service))).json?.data;
    expect(await entry("core-data", "postgres")).toMatchObject({ username: "core_data" });
    expect(await entry("core-keeper", "postgres")).toMatchObject({ username: "core_keeper" });
    expect(await entry("device-virtual", "postgres")).toMatchObject({ username: "device-virtual" });
    expect(await entry("core-command", "postgres")).toBeUndefined();
    const passwords = await Promise.all(["core-data", "core-keeper", "device-virtual"].map(async (s) => (await entry(s, "postgres")).password as string));
    expect(new Set(passwords).size).toBe(3);
    for (const p of passwords) expect(Buffer.from(p, "base64")).toHaveLength(33);

    const bus = await Promise.all(CLIENTS.map((s) => entry(s, "message-bus")));
    for (const b of bus) expect(b).toEqual({ username: "msgbususer", password: bus[0].password });
    expect(await entry("core-data", "redisdb")).toMatchObject({ username: "default" });
    expect(await entry("core-keeper", "redisdb")).toBeUndefined();

    // The bootstrappers' copies, where EdgeX keeps them.
    await withRoot(async (root) => {
      expect((await vault("GET", "/v1/secret/edgex/security-bootstrapper-postgres/core-data/postgres", root)).json.data).toEqual({ username: "core_data", password: passwords[0] });
      expect((await vault("GET", "/v1/secret/edgex/security-bootstrapper-messagebus/message-bus", root)).json.data).toEqual(bus[0]);
      expect((await vault("GET", "/v1/secret/edgex/security-bootstrapper-redis/redisdb", root)).json.data).toEqual(await entry("core-data", "redisdb"));
    });
  });

  it("each postgres service logs into edgex_db with its postgres secret (read as EdgeX does) and creates its schema's tables; not another's", async () => {
    const roles: Record<string, string> = {};
    for (const service of ["core-data", "core-keeper", "device-virtual"]) {
      const { username, password } = (await vault("GET", `/v1/secret/edgex/${service}/postgres`, tokenOf(service))).json.data;
      roles[service] = username;
      const as = { host: cluster.host, port: cluster.port, user: username, password, database: "edgex_db" };
      // What an EdgeX service runs at start (e.g. internal/core/data/embed/sql/idempotent/00-utils.sql:7), then a table.
      const own = await psql(as, `CREATE SCHEMA IF NOT EXISTS "${username}"; CREATE TABLE "${username}".probe (id int); SELECT current_database()`);
      expect(own.ok, own.stderr).toBe(true);
      expect(own.stdout.trim().split("\n").pop()).toBe("edgex_db");
      expect((await psql({ ...as, password: "wrong" }, "SELECT 1")).ok).toBe(false);
    }
    const other = await psql({ host: cluster.host, port: cluster.port, user: roles["core-data"], password: (await vault("GET", "/v1/secret/edgex/core-data/postgres", tokenOf("core-data"))).json.data.password, database: "edgex_db" }, `CREATE TABLE "${roles["core-keeper"]}".intruder (id int)`);
    expect(other.ok).toBe(false);
    expect(other.stderr).toMatch(/permission denied/);
    expect(roles).toEqual({ "core-data": "core_data", "core-keeper": "core_keeper", "device-virtual": "device-virtual" });
  });

  it("each service gets its own JWT (GetSelfJWT) with iss /v1/identity/oidc, aud edgex, its name, 15 minutes; and only its own", async () => {
    for (const service of CLIENTS) {
      const answer = await vault("GET", `/v1/identity/oidc/token/${service}`, tokenOf(service));
      expect(answer.status).toBe(200);
      const jwt = claims(answer.json.data.token);
      expect(jwt).toMatchObject({ iss: "/v1/identity/oidc", aud: "edgex", name: service });
      expect(jwt.exp - jwt.iat).toBe(900);
      const other = CLIENTS.find((s) => s !== service)!;
      expect((await vault("GET", `/v1/identity/oidc/token/${other}`, tokenOf(service))).status).toBe(403);
    }
  });

  it("a service's JWT validates by introspection with another service's token (IsJWTValid); a forged or unsigned one does not", async () => {
    const jwt = (await vault("GET", "/v1/identity/oidc/token/core-data", tokenOf("core-data"))).json.data.token as string;
    const check = async (token: string) => (await vault("POST", "/v1/identity/oidc/introspect", tokenOf("core-keeper"), { token })).json.active;
    expect(await check(jwt)).toBe(true);
    const [header, payload, signature] = jwt.split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims(jwt), name: "core-keeper" })).toString("base64url");
    expect(await check(`${header}.${forgedPayload}.${signature}`)).toBe(false);
    expect(await check(`${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`)).toBe(false);
  });

  it("keeps EdgeX's identity shape per service: policy, entity {name}, userpass user with no policies of its own, OIDC role, token role", async () => {
    await withRoot(async (root) => {
      const policy = (await vault("GET", "/v1/sys/policies/acl/edgex-service-core-data", root)).json.data.policy as string;
      expect(policy).toContain('path "secret/edgex/core-data/*"');
      expect(policy).toContain('path "identity/oidc/token/core-data"');
      expect(policy).toContain('path "identity/oidc/introspect"');
      const entity = (await vault("GET", "/v1/identity/entity/name/core-data", root)).json.data;
      expect(entity).toMatchObject({ name: "core-data", metadata: { name: "core-data" }, policies: ["edgex-service-core-data"] });
      const user = (await vault("GET", "/v1/auth/userpass/users/core-data", root)).json.data;
      expect(user).toMatchObject({ token_period: 3600, token_policies: [] });
      const role = (await vault("GET", "/v1/identity/oidc/role/core-data", root)).json.data;
      expect(role).toMatchObject({ key: "edgex-identity", client_id: "edgex", ttl: 900 });
      expect(JSON.parse(role.template.startsWith("{") ? role.template : Buffer.from(role.template, "base64").toString())).toEqual({ name: "core-data" });
      expect((await vault("GET", "/v1/identity/oidc/key/edgex-identity", root)).json.data).toMatchObject({ algorithm: "ES384", allowed_client_ids: ["*"] });
      const tokenRole = (await vault("GET", "/v1/auth/token/roles/core-data", root)).json.data;
      expect(tokenRole).toMatchObject({ allowed_policies: ["edgex-service-core-data"], allowed_entity_aliases: ["core-data"], orphan: true, renewable: true });
    });
  });

  it("gives each service's paths in the stack outputs, and keeps passwords and tokens out of the state's plaintext and the run's output", async () => {
    const outputs = node.outputs();
    expect(outputs.services["core-data"]).toMatchObject({ tokenPath: tokenFile("core-data"), secretPath: "secret/edgex/core-data", dbCredentials: { entry: "postgres", usernameKey: "username", passwordKey: "password" } });
    expect(outputs.services["core-command"].dbCredentials).toBeUndefined();
    expect(outputs.services["device-rest"].tokenPath).toBe(tokenFile("device-rest"));
    const state = node.exportState();
    const secrets = [...keys, ...CLIENTS.map(tokenOf), (await vault("GET", "/v1/secret/edgex/core-data/postgres", tokenOf("core-data"))).json.data.password, cluster.adminPassword];
    for (const secret of secrets) {
      expect(state).not.toContain(secret);
      expect(firstUp.stdout + firstUp.stderr).not.toContain(secret);
    }
  });

  it("changes nothing on a second up", async () => {
    const before = CLIENTS.map((s) => readFileSync(tokenFile(s), "utf8"));
    expect(changedNames(expectOk(await node.run("up")))).toEqual([]);
    expect(CLIENTS.map((s) => readFileSync(tokenFile(s), "utf8"))).toEqual(before);
  });

  it("sees drift on preview (revoked token, deleted entity, changed policy, lost token file, lost secret) and up makes it good", async () => {
    const oldCoreData = tokenOf("core-data");
    const busPassword = (await vault("GET", "/v1/secret/edgex/core-keeper/message-bus", tokenOf("core-keeper"))).json.data.password;
    await withRoot(async (root) => {
      expect((await vault("POST", "/v1/auth/token/revoke-self", oldCoreData)).status).toBe(204);
      expect((await vault("DELETE", "/v1/identity/entity/name/core-keeper", root)).status).toBe(204);
      expect((await vault("PUT", "/v1/sys/policies/acl/edgex-service-core-command", root, { policy: 'path "secret/edgex/core-command/*" { capabilities = ["read"] }' })).status).toBe(204);
      expect((await vault("DELETE", "/v1/secret/edgex/core-keeper/message-bus", root)).status).toBe(204);
    });
    rmSync(tokenFile("device-virtual"));
    // core-keeper lost its entity: its token no longer gets its JWT.
    expect((await vault("GET", "/v1/identity/oidc/token/core-keeper", tokenOf("core-keeper"))).status).not.toBe(200);

    const preview = expectOk(await node.run("preview"));
    expect(changedNames(preview)).toEqual(["core-command-store-identity", "core-data-store-identity", "core-keeper-store-identity", "device-virtual-store-identity"]);
    // The known secret's loss is seen by refresh (it reads the store), like every drift.
    const refresh = expectOk(await node.run("refresh"));
    expect(refresh.changeSummary, refresh.stdout).toMatchObject({ update: 5 });

    expectOk(await node.run("up"));
    expect((await vault("GET", "/v1/auth/token/lookup-self", oldCoreData)).status).toBe(403);
    for (const service of CLIENTS) {
      expect((await vault("GET", `/v1/identity/oidc/token/${service}`, tokenOf(service))).status, service).toBe(200);
      expect((await vault("POST", `/v1/secret/edgex/${service}/probe`, tokenOf(service), { again: "yes" })).status, service).toBe(204);
    }
    expect((await vault("GET", "/v1/secret/edgex/core-keeper/message-bus", tokenOf("core-keeper"))).json.data).toEqual({ username: "msgbususer", password: busPassword });
    expect(changedNames(expectOk(await node.run("preview")))).toEqual([]);
  });

  it("up --replace of one service's identity issues a new token bound to a new entity; the old token is dead", async () => {
    const old = JSON.parse(readFileSync(tokenFile("core-data"), "utf8")).auth;
    const urn = JSON.parse(node.exportState()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::core-data-store-identity")).urn;
    expectOk(await node.run("up", ["--replace", urn]));
    const now = JSON.parse(readFileSync(tokenFile("core-data"), "utf8")).auth;
    expect(now.client_token).not.toBe(old.client_token);
    expect(now.entity_id).not.toBe(old.entity_id);
    expect((await vault("GET", "/v1/auth/token/lookup-self", old.client_token)).status).toBe(403);
    expect(claims((await vault("GET", "/v1/identity/oidc/token/core-data", now.client_token)).json.data.token).name).toBe("core-data");
    // Its secrets are kept (they are not the token's).
    expect((await vault("GET", "/v1/secret/edgex/core-data/postgres", now.client_token)).json.data.username).toBe("core_data");
  });
});

describe("switching an existing store from the default layout to edgex4", { timeout: 600_000 }, () => {
  const node = new TestNode("edgex-switch");
  let server: OpenBaoServer;
  const config = (layout: string) => ({
    layout,
    services: [{ name: "secretstore", hostnames: ["secretstore"], extraSans: ["127.0.0.1"] }, { name: "core-data" }],
    secretStore: { address: server.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
  });

  beforeAll(async () => {
    server = await OpenBaoServer.create(node);
    node.configure(config("default"), { secretStoreCustodySecret: CUSTODY_SECRET });
    server.start();
    expectOk(await node.run("up"));
  }, 600_000);

  afterAll(() => {
    server?.stop();
    node.cleanup();
  });

  it("is refused in one line at preview and at up (KV v2 to v1 would lose the secrets); nothing changes", async () => {
    const tokenFile = join(node.secretsRoot, "core-data", "secrets-token.json");
    const before = { token: readFileSync(tokenFile, "utf8"), state: node.exportState() };
    node.configure(config("edgex4"), { secretStoreCustodySecret: CUSTODY_SECRET });
    for (const command of ["preview", "up"] as const) {
      const result = await node.run(command);
      expect(result.status, command).not.toBe(0);
      const lines = (result.stdout + result.stderr).split("\n").filter((l) => l.includes("mount is KV v2"));
      expect(lines.length, result.stdout + result.stderr).toBeGreaterThan(0);
      expect(lines[0]).toMatch(/the secret store's secret\/ mount is KV v2 with this stack's secrets in it and the stack now asks for KV v1; nothing migrates the entries, so nothing was changed/);
      expect(result.stdout + result.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
    }
    expect(readFileSync(tokenFile, "utf8")).toBe(before.token);
    const kv = server.bao(["kv", "get", "-mount=secret", "-format=json", "edgex/core-data/db"], JSON.parse(before.token).auth.client_token);
    expect(kv.status, kv.stderr).toBe(0);
    // Back to the default layout: the stack is as it was.
    node.configure(config("default"), { secretStoreCustodySecret: CUSTODY_SECRET });
    // (The engine itself shows its default provider as an update with no diffs after a failed up: not a resource.)
    const back = expectOk(await node.run("preview"));
    expect(back.steps.filter((s) => !s.type.startsWith("pulumi:providers:")), JSON.stringify(back.steps)).toEqual([]);
  });
});
