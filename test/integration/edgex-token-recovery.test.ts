// Token recovery (docs/edgex.md "Token recovery"; contract 1b): an edgex4 node provisioned with `pulumi up` and
// `edgex.tokenRecovery` (real OpenBao, a private PostgreSQL), the recovery service started by its server script
// with the settings file the stack wrote, and an unmodified EdgeX 4 core-keeper (tools/edgex) whose token was revoked
// while it was down. Started with nothing but its own folder and CLIENTS_SECURITY_SECRETSTORE_SETUP_HOST/PORT,
// go-mod-bootstrap gets a 403, calls PUT /api/v3/token/entityId/<its entity id> and starts with the new token, bound
// to the same entity (its own JWT works). The recovery service's own login can do nothing else: read a service's
// secrets, create a token outside the services' token roles, or recover an entity that is not a service.
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EdgexService, edgexBinariesMissing, edgexClient, SecretStoreAccess } from "../support/edgex-services";
import { changedNames, expectOk, freePort, TestNode } from "../support/harness";
import { OpenBaoServer } from "../support/openbao-server";
import { PrivatePostgres } from "../support/postgres-server";
import { sharedPath } from "../support/shared";
import { TokenRecoveryServer } from "../support/token-recovery-server";

const EDGEX = sharedPath("edgex", "the EdgeX token recovery test (test/integration/edgex-token-recovery.test.ts)");
const KEEPER = "core-keeper";

describe.skipIf(!EDGEX)("token recovery: an EdgeX service whose token died while it was down starts again without an operator", { timeout: 900_000 }, () => {
  let node: TestNode;
  let store: OpenBaoServer;
  let cluster: PrivatePostgres;
  let recovery: TokenRecoveryServer;
  let keeper: EdgexService;
  let ca: Agent;
  const tokenFile = () => join(node.secretsRoot, KEEPER, "secrets-token.json");
  const tokenJson = () => JSON.parse(readFileSync(tokenFile(), "utf8"));
  const settingsFile = () => join(node.secretsRoot, "security-secretstore-setup", "token-recovery.json");
  const access = (): SecretStoreAccess => ({ host: "127.0.0.1", port: store.port, protocol: "https", caCertPath: join(node.secretsRoot, KEEPER, "ca.pem") });

  async function bao(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await request(new URL(`/v1/${path}`, store.address), { method: method as "GET", headers: { "x-vault-token": token }, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: ca });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    const missing = edgexBinariesMissing([KEEPER]);
    if (missing) throw new Error(`${missing}: the EdgeX binaries are built by npm run setup (scripts/edgex/build.sh)`);
    node = new TestNode("edgex-token-recovery");
    cluster = new PrivatePostgres(join(node.root, "pg"), randomBytes(18).toString("base64url"));
    await cluster.start();
    store = await OpenBaoServer.create(node);
    const port = await freePort();
    node.configure(
      {
        layout: "edgex4",
        services: [{ name: "secretstore", hostnames: ["secretstore"], extraSans: ["127.0.0.1"] }, { name: KEEPER }],
        secretStore: { address: store.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
        databases: { postgres: { port: cluster.port, adminUser: cluster.adminUser } },
        edgex: { tokenRecovery: { port } },
      },
      { secretStoreCustodySecret: "edgex-token-recovery-it-custody-secret-0123456789" },
    );
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
    store.start();
    expectOk(await node.run("up"));
    ca = new Agent({ connect: { ca: readFileSync(join(node.secretsRoot, "ca.pem"), "utf8") } });
    recovery = new TokenRecoveryServer({ secretsRoot: node.secretsRoot, stateDir: join(node.root, "token-recovery"), port });
    recovery.start();
    keeper = new EdgexService({
      service: KEEPER,
      workDir: join(node.root, "edgex"),
      store: access(),
      tokenFile: tokenFile(),
      database: { host: cluster.host, port: cluster.port },
      messageBusDisabled: true,
      // go-mod-bootstrap's client of security-secretstore-setup (GB config/types.go:158-166), pointed at the service.
      env: { CLIENTS_SECURITY_SECRETSTORE_SETUP_HOST: "127.0.0.1", CLIENTS_SECURITY_SECRETSTORE_SETUP_PORT: String(port) },
    });
  }, 900_000);

  afterAll(async () => {
    await keeper?.stop();
    recovery?.stop();
    await ca?.close();
    store?.stop();
    await cluster?.stop();
    node?.cleanup();
  });

  it("a service whose token was revoked while it was down gets a new one from the recovery service and starts", async () => {
    const before = tokenJson();
    // The token dies while the service is down (revoked here; an expired one answers the same 403).
    expect((await bao("POST", "auth/token/revoke-self", before.auth.client_token)).status).toBe(204);
    expect((await bao("GET", "auth/token/lookup-self", before.auth.client_token)).status).toBe(403);

    await keeper.start(90_000).catch((err: Error) => {
      throw new Error(`${err.message}\nthe recovery service's log:\n${recovery.log()}`);
    });
    expect(keeper.log()).toMatch(/token expired, invoking secret-store-setup regen token API/);
    expect(recovery.log()).toContain(`a new token for ${KEEPER} (entity ${before.auth.entity_id})`);
    const after = tokenJson();
    expect(after.auth.client_token).not.toBe(before.auth.client_token);
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    // Bound to the service's own entity, with its policy: its secrets and its own JWT work as before.
    const self = await bao("GET", "auth/token/lookup-self", after.auth.client_token);
    expect(self.status).toBe(200);
    expect(self.json.data.entity_id).toBe(before.auth.entity_id);
    expect(self.json.data.policies).toContain(`edgex-service-${KEEPER}`);
    const secret = await edgexClient(KEEPER, access(), tokenFile(), "secret", "postgres");
    expect(secret.ok, secret.error).toBe(true);
    const jwt = await edgexClient(KEEPER, access(), tokenFile(), "jwt");
    expect(jwt.ok, jwt.error).toBe(true);
    const accepted = await edgexClient(KEEPER, access(), tokenFile(), "call", `${keeper.url}/api/v3/registry/all`, "self");
    expect(accepted, JSON.stringify(accepted)).toMatchObject({ ok: true, status: 200 });
  });

  it("the recovery service can do nothing else: no secrets, no token outside the services' roles, no other entity", async () => {
    const settings = JSON.parse(readFileSync(settingsFile(), "utf8"));
    expect(statSync(settingsFile()).mode & 0o777).toBe(0o600);
    const login = await request(new URL(`/v1/auth/${settings.appRole.mount}/login`, store.address), { method: "POST", body: JSON.stringify({ role_id: settings.appRole.roleId, secret_id: settings.appRole.secretId }), dispatcher: ca });
    const token = ((await login.body.json()) as any).auth.client_token as string;
    expect((await bao("GET", `secret/edgex/${KEEPER}/postgres`, token)).status).toBe(403);
    expect((await bao("POST", "auth/token/create", token, { policies: ["default"] })).status).toBe(403);
    expect((await bao("POST", "auth/token/create-orphan", token, { policies: ["default"] })).status).toBe(403);
    // Through core-keeper's role, only core-keeper's policy (the role allows no other).
    expect((await bao("POST", `auth/token/create/${KEEPER}`, token, { policies: ["root"] })).status).toBe(400);
    expect((await bao("GET", "identity/entity/name/secretstore", token)).status).toBe(403);
    // An entity that is none of the node's services: refused, nothing written.
    const res = await request(`${recovery.url}/api/v3/token/entityId/00000000-0000-0000-0000-000000000000`, { method: "PUT" });
    expect(res.statusCode).toBe(404);
    expect(await res.body.json()).toMatchObject({ apiVersion: "v3", statusCode: 404 });
  });

  it("up after a recovery takes the recovered token over (file kept); then a lost settings file is seen by preview and written again", async () => {
    const recovered = readFileSync(tokenFile(), "utf8");
    const first = expectOk(await node.cli("preview"));
    expect(changedNames(first)).toContain(`${KEEPER}-store-identity`);
    expect(first.stdout + first.stderr).toContain(`${KEEPER}: its token was made anew by the token recovery service: the stack takes it over`);
    expectOk(await node.cli("up"));
    expect(readFileSync(tokenFile(), "utf8")).toBe(recovered);
    const settings = readFileSync(settingsFile(), "utf8");
    rmSync(settingsFile());
    // The identity is as the stack left it now: only the settings file is named.
    const preview = expectOk(await node.cli("preview"));
    expect(changedNames(preview)).toEqual(["secret-store-token-recovery"]);
    expect(preview.stdout + preview.stderr).toMatch(/token recovery: its settings file .* is missing: it is written again/);
    expectOk(await node.cli("up"));
    expect(readFileSync(settingsFile(), "utf8")).toBe(settings);
    const accepted = await edgexClient(KEEPER, access(), tokenFile(), "call", `${keeper.url}/api/v3/registry/all`, "self");
    expect(accepted, JSON.stringify(accepted)).toMatchObject({ ok: true, status: 200 });
  });
});
