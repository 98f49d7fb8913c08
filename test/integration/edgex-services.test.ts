// The EdgeX 4 layout's proof by its real consumers: an edgex4 node provisioned with `pulumi up` (real OpenBao, real
// PostgreSQL with scram-sha-256), then unmodified EdgeX 4 binaries built from ../shared/edgex (scripts/edgex/build.sh)
// started with security on from files only, with the token files and settings the stack wrote: core-keeper (its
// message bus off in a copied configuration until the node has a broker) and security-proxy-auth. Checked with
// EdgeX's own behaviour: "Service started", its `postgres` secret read and its schema made in edgex_db, a service's
// own JWT (GetSelfJWT, through go-mod-secrets unmodified: test/support/edgex-client) accepted by core-keeper's
// authenticated API and no JWT or a forged one refused with 401, and `up --replace` of one service's token: after a
// restart the service works again and the old token is dead.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { request, Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EdgexService, edgexBinariesMissing, edgexClient, SecretStoreAccess } from "../support/edgex-services";
import { expectOk, TestNode } from "../support/harness";
import { OpenBaoServer } from "../support/openbao-server";
import { PrivatePostgres, sql } from "../support/postgres-server";
import { sharedPath } from "../support/shared";
import { randomBytes } from "node:crypto";

const EDGEX = sharedPath("edgex", "the EdgeX 4 services test (test/integration/edgex-services.test.ts)");
const KEEPER = "core-keeper";
const PROXY_AUTH = "security-proxy-auth";
const SERVICES = [KEEPER, PROXY_AUTH];
const CUSTODY_SECRET = "edgex-services-it-custody-secret-0123456789abcdef";

describe.skipIf(!EDGEX)("unmodified EdgeX 4 services on an edgex4 node provisioned by pulumi up", { timeout: 900_000 }, () => {
  let node: TestNode;
  let store: OpenBaoServer;
  let cluster: PrivatePostgres;
  let keeper: EdgexService;
  let proxyAuth: EdgexService;
  /** Why a service did not start (its log's tail), checked by the first test rather than failing the set-up. */
  const startFailure: Record<string, string> = {};
  const startOrRecord = (service: EdgexService) => service.start().catch((err: Error) => void (startFailure[service.opts.service] = err.message));
  const tokenFile = (service: string) => join(node.secretsRoot, service, "secrets-token.json");
  const tokenOf = (service: string): string => JSON.parse(readFileSync(tokenFile(service), "utf8")).auth.client_token;
  // What a service's container would mount: its own folder (token file, the node CA).
  const accessOf = (service: string): SecretStoreAccess => ({ host: "127.0.0.1", port: store.port, protocol: "https", caCertPath: join(node.secretsRoot, service, "ca.pem") });
  const client = (service: string, ...args: string[]) => edgexClient(service, accessOf(service), tokenFile(service), ...args);
  const registryUrl = () => `${keeper.url}/api/v3/registry/all`;
  const edgexDb = () => ({ ...cluster.admin(), database: "edgex_db" });

  /** lookup-self with a token, as go-mod-secrets does at start: the HTTP status. */
  async function lookupSelf(token: string): Promise<number> {
    const agent = new Agent({ connect: { ca: readFileSync(join(node.secretsRoot, "ca.pem"), "utf8") } });
    try {
      const res = await request(new URL("/v1/auth/token/lookup-self", store.address), { headers: { "x-vault-token": token }, dispatcher: agent });
      await res.body.dump();
      return res.statusCode;
    } finally {
      await agent.close();
    }
  }

  beforeAll(async () => {
    const missing = edgexBinariesMissing(SERVICES);
    if (missing) throw new Error(`${missing}: the EdgeX binaries are built by npm run setup (scripts/edgex/build.sh)`);
    node = new TestNode("edgex-services");
    cluster = new PrivatePostgres(join(node.root, "pg"), randomBytes(18).toString("base64url"));
    await cluster.start();
    store = await OpenBaoServer.create(node);
    node.configure(
      {
        layout: "edgex4",
        services: [{ name: "secretstore", hostnames: ["secretstore"], extraSans: ["127.0.0.1"] }, ...SERVICES.map((name) => ({ name }))],
        secretStore: { address: store.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
        databases: { postgres: { port: cluster.port, adminUser: cluster.adminUser } },
      },
      { secretStoreCustodySecret: CUSTODY_SECRET },
    );
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
    store.start();
    expectOk(await node.run("up"));
    const database = { host: cluster.host, port: cluster.port };
    proxyAuth = new EdgexService({ service: PROXY_AUTH, workDir: join(node.root, "edgex"), store: accessOf(PROXY_AUTH), tokenFile: tokenFile(PROXY_AUTH), database, env: { EDGEX_INSECURE_AES_KEY: randomBytes(16).toString("hex") } });
    keeper = new EdgexService({ service: KEEPER, workDir: join(node.root, "edgex"), store: accessOf(KEEPER), tokenFile: tokenFile(KEEPER), database, messageBusDisabled: true });
    await startOrRecord(proxyAuth);
    // core-keeper asks security-proxy-auth only for JWTs of other issuers (never here: every JWT is the store's).
    keeper.opts.env = { CLIENTS_SECURITY_PROXY_AUTH_PORT: String(proxyAuth.port) };
    await startOrRecord(keeper);
  }, 900_000);

  afterAll(async () => {
    await keeper?.stop();
    await proxyAuth?.stop();
    store?.stop();
    await cluster?.stop();
    node?.cleanup();
  });

  it("each service starts with security on, reads its postgres secret and makes its schema in edgex_db", async () => {
    for (const [service, running] of [[KEEPER, keeper], [PROXY_AUTH, proxyAuth]] as const) {
      expect(startFailure[service], startFailure[service]).toBeUndefined();
      expect(running.log()).toMatch(/Service started in:/);
      const secret = await client(service, "secret", "postgres");
      expect(secret.ok, secret.error).toBe(true);
      const username = service.replace(/-/g, "_");
      expect(secret.secret!.username).toBe(username);
      // The service connected with that secret and made its tables in its own schema (owned by its role).
      const owners = await sql(edgexDb(), `SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${username}' AND c.relkind = 'r'`);
      expect(owners).toBe(username);
      // Its own secrets: written and read back as go-mod-secrets does (KV v1 at secret/edgex/<service>/).
      expect((await client(service, "store", "probe", "value=from-" + service)).ok).toBe(true);
      expect((await client(service, "secret", "probe")).secret).toEqual({ value: "from-" + service });
    }
  });

  it("a service's own JWT is accepted by core-keeper's authenticated API; no JWT or a forged one is 401", async () => {
    const jwt = await client(PROXY_AUTH, "jwt");
    expect(jwt.ok, jwt.error).toBe(true);
    const claims = JSON.parse(Buffer.from(jwt.jwt!.split(".")[1], "base64url").toString("utf8"));
    expect(claims).toMatchObject({ iss: "/v1/identity/oidc", aud: "edgex", name: PROXY_AUTH });
    const accepted = await client(PROXY_AUTH, "call", registryUrl(), "self");
    expect(accepted, JSON.stringify(accepted)).toMatchObject({ ok: true, status: 200 });
    expect((await client(PROXY_AUTH, "call", registryUrl(), "none")).status).toBe(401);
    // A token signed by nobody the store knows, with the claims of the real one.
    const [header, payload] = jwt.jwt!.split(".");
    const forged = `${header}.${payload}.${Buffer.from(randomBytes(96)).toString("base64url")}`;
    expect((await client(PROXY_AUTH, "call", registryUrl(), forged)).status).toBe(401);
  });

  it("up --replace of one service's token: after a restart the service works again, and the old token is dead", async () => {
    const old = tokenOf(KEEPER);
    const urn = JSON.parse(node.exportState())
      .deployment.resources.map((r: { urn: string }) => r.urn)
      .find((u: string) => u.endsWith(`::${KEEPER}-store-identity`));
    expect(urn).toBeDefined();
    await keeper.stop();
    expectOk(await node.run("up", ["--replace", urn]));
    expect(tokenOf(KEEPER)).not.toBe(old);
    expect(await lookupSelf(old)).toBe(403);
    await keeper.start();
    // core-keeper reads its secrets with the new token, and its own new JWT and security-proxy-auth's are accepted.
    for (const caller of [KEEPER, PROXY_AUTH]) {
      const accepted = await client(caller, "call", registryUrl(), "self");
      expect(accepted, JSON.stringify(accepted)).toMatchObject({ ok: true, status: 200 });
    }
    const own = await client(KEEPER, "secret", "postgres");
    expect(own.ok, own.error).toBe(true);
  });
});
