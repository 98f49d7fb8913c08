// Databases for real: the node stack through the CLI against the shared PostgreSQL on 127.0.0.1:5432, a private
// PostgreSQL cluster with scram-sha-256 (where passwords are really checked), and FerretDB started by the test;
// results read back with psql and the MongoDB driver. Passwords come from the `<service>-db-credentials`
// resources in `stack export --show-secrets`, so these tests hold when the secret store provides them.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FerretdbServer } from "../support/ferretdb-server";
import { changedNames, expectOk, refusingPort, RunResult, TestNode } from "../support/harness";
import { OpenBaoServer } from "../support/openbao-server";
import { ensureSharedPostgres, PgTarget, PrivatePostgres, psql, SHARED_POSTGRES, sql, stopSharedPostgres } from "../support/postgres-server";

interface StateResource {
  urn: string;
  type: string;
  outputs: Record<string, unknown>;
  custom?: boolean;
  sourcePosition?: string;
  stackTrace?: { sourcePosition?: string }[];
}

const resourcesOf = (node: TestNode, showSecrets = false): StateResource[] => JSON.parse(node.exportState({ showSecrets })).deployment.resources ?? [];
const named = (resources: StateResource[], name: string) => resources.find((r) => r.urn.endsWith(`::${name}`));
const stackOutputs = (node: TestNode) => resourcesOf(node).find((r) => r.type === "pulumi:pulumi:Stack")!.outputs;

/** Each service's credentials as the stack holds them (the secret store's `<service>-db-credentials`). */
function credentialsOf(node: TestNode, services: string[]): Record<string, { username: string; password: string }> {
  const resources = resourcesOf(node, true);
  return Object.fromEntries(
    services.map((s) => {
      const outs = named(resources, `${s}-db-credentials`)!.outputs as { username: string; password: string | { plaintext: string } };
      // --show-secrets shows a secret as { <sig>, plaintext: <JSON of the value> }.
      const password = typeof outs.password === "string" ? outs.password : JSON.parse(outs.password.plaintext);
      if (typeof password !== "string" || password.length < 16) throw new Error(`no password in the state for ${s}`);
      return [s, { username: outs.username, password }];
    }),
  );
}

/** One error line naming the key, and no stack trace. */
function expectOneLineError(result: RunResult, line: string | RegExp): void {
  expect(result.status).not.toBe(0);
  const errors = result.stderr.split("\n").filter((l) => l.startsWith("error: "));
  expect(errors.some((l) => (typeof line === "string" ? l.includes(line) : line.test(l))), result.stderr).toBe(true);
  expect(result.stdout + result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout + result.stderr).not.toMatch(/\bat \S+ \(\/\S+:\d+:\d+\)/); // a stack frame, wherever it is
}

const suffix = () => randomBytes(3).toString("hex");

/** The passwords come from the secret store: a real OpenBao on loopback per node (it waits for its folder). */
async function startSecretStore(node: TestNode): Promise<OpenBaoServer> {
  const server = await OpenBaoServer.create(node);
  server.start();
  return server;
}
const STORE_SERVICE = { name: "secretstore" };
const CUSTODY = { secretStoreCustodySecret: "databases-it-custody-secret-0123456789abcdef" };
const storeConfig = (node: TestNode, server: OpenBaoServer) => ({ secretStore: { address: server.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 } });
// The same object: ensureSharedPostgres() may point it at a private cluster before the tests run.
const pgAdmin: PgTarget = SHARED_POSTGRES;
beforeAll(ensureSharedPostgres, 120_000);
afterAll(stopSharedPostgres);
const asRole = (role: string, database: string, password?: string): PgTarget => ({ host: SHARED_POSTGRES.host, port: SHARED_POSTGRES.port, user: role, password, database });

/** Best-effort removal of what a failed test may have left on the shared server: only names with our suffix. */
async function dropLeftovers(sfx: string): Promise<void> {
  const dbs = (await sql(pgAdmin, `SELECT datname FROM pg_database WHERE datname LIKE '%\\_${sfx}'`)).split("\n").filter(Boolean);
  for (const db of dbs) await psql(pgAdmin, `DROP DATABASE "${db}"`);
  const roles = (await sql(pgAdmin, `SELECT rolname FROM pg_roles WHERE rolname LIKE '%\\_${sfx}'`)).split("\n").filter(Boolean);
  for (const role of roles) await psql(pgAdmin, `DROP ROLE "${role}"`);
}

describe("databases on a real Pulumi engine: PostgreSQL (shared server) and FerretDB", { timeout: 600_000 }, () => {
  const sfx = suffix();
  const gateway = `kong-${sfx}`;
  const coreData = `core-data-${sfx}`;
  const metadata = `core-metadata-${sfx}`;
  const services = [gateway, coreData, metadata];
  // Made in beforeAll, so a run filtered to another suite leaves no temp folder behind.
  let node: TestNode;
  let ferret: FerretdbServer;
  let store: OpenBaoServer;
  let logs = "";
  let creds: Record<string, { username: string; password: string }>;
  const run = async (command: "up" | "preview" | "refresh" | "destroy") => {
    const result = await node.run(command);
    logs += result.stdout + result.stderr;
    return result;
  };
  const dbOf = (service: string) => service.replace(/-/g, "_");
  const databasesConfig = () => ({
    connectTimeoutSeconds: 15,
    postgres: { host: "127.0.0.1", port: SHARED_POSTGRES.port, adminUser: SHARED_POSTGRES.user, gateway: { service: gateway }, services: [{ service: coreData }] },
    mongo: { host: ferret.host, port: ferret.port, adminUser: ferret.adminUser, adminDatabase: ferret.adminDatabase },
  });
  const configure = (databases: Record<string, unknown> = databasesConfig()) => {
    node.configure({ services: [STORE_SERVICE, ...services.map((name) => ({ name }))], databases, ...storeConfig(node, store) }, CUSTODY);
    if ((databases.mongo as { adminPassword?: string } | undefined)?.adminPassword === undefined) node.setSecretConfig("databases.mongo.adminPassword", ferret.adminPassword);
  };
  const mongoAdmin = () => ferret.client(ferret.adminUser, ferret.adminPassword, ferret.adminDatabase);

  beforeAll(async () => {
    node = new TestNode("databases-it");
    ferret = new FerretdbServer(join(node.root, "ferretdb", "state"));
    mkdirSync(ferret.stateDir, { recursive: true });
    await ferret.start();
    store = await startSecretStore(node);
    configure();
    expectOk(await run("up"));
    creds = credentialsOf(node, services);
  }, 600_000);

  afterAll(async () => {
    await ferret?.stop().catch(() => undefined);
    store?.stop();
    await dropLeftovers(sfx);
    node?.cleanup();
  });

  it("creates the gateway's role and database: it logs in to it, owns it, and is not superuser", async () => {
    const role = creds[gateway].username;
    expect(role).toBe(dbOf(gateway));
    expect(await sql(asRole(role, dbOf(gateway), creds[gateway].password), "SELECT current_user || ' ' || current_database()")).toBe(`${role} ${dbOf(gateway)}`);
    expect(await sql(pgAdmin, `SELECT rolsuper, rolcanlogin, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = '${role}'`)).toBe("f|t|f|f|f");
    expect(await sql(pgAdmin, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${dbOf(gateway)}'`)).toBe(role);
    // The server holds a SCRAM verifier, not the password.
    const stored = await sql(pgAdmin, `SELECT rolpassword FROM pg_authid WHERE rolname = '${role}'`);
    expect(stored).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(stored).not.toContain(creds[gateway].password);
  });

  it("gives the per-service option its own role and database, which cannot enter the gateway's database", async () => {
    const role = creds[coreData].username;
    expect(await sql(pgAdmin, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${dbOf(coreData)}'`)).toBe(role);
    expect(await sql(asRole(role, dbOf(coreData)), "SELECT current_database()")).toBe(dbOf(coreData));
    const intruder = await psql(asRole(role, dbOf(gateway)), "SELECT 1");
    expect(intruder.ok).toBe(false);
    expect(intruder.stderr).toContain(`permission denied for database "${dbOf(gateway)}"`);
    // Only what was asked for: no PostgreSQL database for the Mongo-only service.
    expect(await sql(pgAdmin, `SELECT count(*) FROM pg_database WHERE datname = '${dbOf(metadata)}'`)).toBe("0");
  });

  it("outputs where the databases are and each service's Mongo user, and no password", async () => {
    const outputs = stackOutputs(node) as { databases: unknown; services: Record<string, { mongoUser?: string }> };
    expect(outputs.databases).toEqual({
      postgres: { host: "127.0.0.1", port: SHARED_POSTGRES.port, database: dbOf(gateway), role: creds[gateway].username },
      mongo: { uri: `mongodb://127.0.0.1:${ferret.port}` },
    });
    for (const s of services) expect(outputs.services[s].mongoUser).toBe(creds[s].username);
    const text = JSON.stringify(outputs);
    for (const s of services) expect(text).not.toContain(creds[s].password);
  });

  it("every service's Mongo user logs in with its own password and not with another's", async () => {
    for (const [i, s] of services.entries()) {
      const other = services[(i + 1) % services.length];
      expect(await ferret.canLogIn(creds[s].username, creds[s].password, dbOf(s))).toBe(true);
      expect(await ferret.canLogIn(creds[s].username, creds[other].password, dbOf(s))).toBe(false);
      expect(await ferret.canLogIn(creds[other].username, creds[s].password, dbOf(other))).toBe(false);
    }
    // FerretDB v1 was detected, so no roles were sent; the configured roles are kept for a real MongoDB.
    const resources = resourcesOf(node);
    for (const s of services) {
      const user = named(resources, `${s}-mongo-user`)!.outputs;
      expect(user.serverKind).toBe("ferretdb");
      expect(user.rolesSent).toEqual([]);
      expect(user.roles).toEqual([{ role: "readWrite", db: dbOf(s) }]);
    }
    const admin = mongoAdmin();
    try {
      const info = await admin.db(dbOf(coreData)).command({ usersInfo: { user: creds[coreData].username, db: dbOf(coreData) } });
      expect(info.users.map((u: { user: string; db: string }) => `${u.db}.${u.user}`)).toEqual([`${dbOf(coreData)}.${creds[coreData].username}`]);
    } finally {
      await admin.close();
    }
  });

  it("a second up changes nothing", async () => {
    const preview = expectOk(await run("preview"));
    expect(preview.steps).toEqual([]);
    const up = expectOk(await run("up"));
    expect(Object.keys(up.changeSummary)).toEqual(["same"]);
  });

  it("records each resource's stack trace from its own source up to the program, without the SDK runner's frames", () => {
    // The program awaits the database servers' check before it builds the node, so V8 appends the runner's async
    // frames to every resource's stack: the program's formatter leaves them out (components/shared/stack-traces.ts).
    const recorded = resourcesOf(node).filter((r) => r.custom && r.stackTrace);
    expect(named(recorded, `${coreData}-mongo-user`)!.sourcePosition).toMatch(/components\/databases\/mongo-user\.ts#/);
    for (const r of recorded) {
      const frames = r.stackTrace!.map((frame) => frame.sourcePosition ?? "");
      expect(frames[0], r.urn).toBe(r.sourcePosition);
      expect(frames.at(-1), r.urn).toMatch(/\/program\.ts#/);
      expect(frames.filter((f) => f === "" || f.includes("node_modules/@pulumi")), r.urn).toEqual([]);
    }
  });

  it("keeps every password out of the state and the logs", async () => {
    const state = node.exportState();
    const secrets = [...services.map((s) => creds[s].password), ferret.adminPassword];
    for (const secret of secrets) {
      expect(state).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    const resources = resourcesOf(node);
    for (const s of services) {
      expect(named(resources, `${s}-db-credentials`)!.outputs.password).toHaveProperty("ciphertext");
      expect(named(resources, `${s}-mongo-user`)!.outputs.password).toHaveProperty("ciphertext");
      expect(named(resources, `${s}-mongo-user`)!.outputs.adminPassword).toHaveProperty("ciphertext");
    }
    expect(named(resources, `${gateway}-postgres`)!.outputs.password).toHaveProperty("ciphertext");
  });

  it("a Mongo user dropped, or given another password, out of band is seen by refresh and re-created by up", async () => {
    const admin = mongoAdmin();
    try {
      await admin.db(dbOf(metadata)).command({ dropUser: creds[metadata].username });
      await admin.db(dbOf(coreData)).command({ updateUser: creds[coreData].username, pwd: "changed-out-of-band" });
    } finally {
      await admin.close();
    }
    expect(await ferret.canLogIn(creds[metadata].username, creds[metadata].password, dbOf(metadata))).toBe(false);
    expect(await ferret.canLogIn(creds[coreData].username, creds[coreData].password, dbOf(coreData))).toBe(false);
    expectOk(await run("refresh"));
    const refreshed = resourcesOf(node);
    expect(named(refreshed, `${metadata}-mongo-user`)!.outputs.live).toBe("missing");
    expect(named(refreshed, `${coreData}-mongo-user`)!.outputs.live).toBe("password-changed");
    expect(named(refreshed, `${gateway}-mongo-user`)!.outputs.live).toBe("intact");
    const changed = [`${coreData}-mongo-user`, `${metadata}-mongo-user`].sort();
    const preview = expectOk(await run("preview"));
    expect(changedNames(preview)).toEqual(changed);
    expect(preview.steps.filter((s) => s.op === "replace").map((s) => s.keys)).toEqual([["live"], ["live"]]);
    const up = expectOk(await run("up"));
    expect(changedNames(up)).toEqual(changed);
    for (const s of [metadata, coreData]) {
      expect(await ferret.canLogIn(creds[s].username, creds[s].password, dbOf(s))).toBe(true);
      expect(await ferret.canLogIn(creds[s].username, "changed-out-of-band", dbOf(s))).toBe(false);
      expect(named(resourcesOf(node), `${s}-mongo-user`)!.outputs.live).toBe("intact");
    }
    expect(expectOk(await run("preview")).steps).toEqual([]);
  });

  it("a PostgreSQL role dropped, made superuser or given another password out of band is seen and repaired", async () => {
    const role = creds[gateway].username;
    const db = dbOf(gateway);
    // A role that owns a database cannot be dropped: hand the database to the admin first.
    await sql(pgAdmin, `ALTER DATABASE "${db}" OWNER TO "${SHARED_POSTGRES.user}"`);
    await sql(pgAdmin, `DROP ROLE "${role}"`);
    expectOk(await run("refresh"));
    expect(named(resourcesOf(node), `${gateway}-postgres`)!.outputs.live).toBe("role-missing");
    let up = expectOk(await run("up"));
    expect(changedNames(up)).toEqual([`${gateway}-postgres`]);
    expect(await sql(pgAdmin, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${db}'`)).toBe(role);
    expect(await sql(asRole(role, db), "SELECT current_user")).toBe(role);

    await sql(pgAdmin, `ALTER ROLE "${role}" SUPERUSER PASSWORD 'changed-out-of-band'`);
    const preview = expectOk(await run("preview"));
    expect(changedNames(preview)).toEqual([`${gateway}-postgres`]);
    up = expectOk(await run("up"));
    expect(changedNames(up)).toEqual([`${gateway}-postgres`]);
    expect(await sql(pgAdmin, `SELECT rolsuper FROM pg_roles WHERE rolname = '${role}'`)).toBe("f");
    expectOk(await run("refresh"));
    expect(named(resourcesOf(node), `${gateway}-postgres`)!.outputs.live).toBe("intact");
    expect(expectOk(await run("preview")).steps).toEqual([]);
  });

  it("a bad database config on the deployed stack fails in one line and changes nothing", async () => {
    const closedPort = await refusingPort();
    configure({ ...databasesConfig(), postgres: { ...databasesConfig().postgres, port: closedPort } });
    const bad = await run("up");
    expectOneLineError(bad, `error: edge-security:databases.postgres: cannot connect to PostgreSQL at 127.0.0.1:${closedPort} as "postgres"`);
    configure();
    expect(expectOk(await run("preview")).steps).toEqual([]);
    for (const s of services) expect(await ferret.canLogIn(creds[s].username, creds[s].password, dbOf(s))).toBe(true);
  });

  it("a server that is down: refresh fails in one line without a stack trace, and nothing changes once it is back", async () => {
    await ferret.stop();
    const refresh = await run("refresh");
    expectOneLineError(refresh, `error: cannot connect to MongoDB at 127.0.0.1:${ferret.port} as "admin"`);
    await ferret.start();
    expect(expectOk(await run("preview")).steps).toEqual([]);
  });

  it("destroy drops the Mongo users, the roles and the databases", async () => {
    expectOk(await run("destroy"));
    expect(await sql(pgAdmin, `SELECT count(*) FROM pg_roles WHERE rolname LIKE '%\\_${sfx}'`)).toBe("0");
    expect(await sql(pgAdmin, `SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_${sfx}'`)).toBe("0");
    const admin = mongoAdmin();
    try {
      for (const s of services) {
        const info = await admin.db(dbOf(s)).command({ usersInfo: 1 });
        expect(info.users).toEqual([]);
      }
    } finally {
      await admin.close();
    }
  });
});

describe("database config mistakes: one line, nothing changed", { timeout: 600_000 }, () => {
  const sfx = suffix();
  const gateway = `kong-${sfx}`;
  let node: TestNode;
  let ferret: FerretdbServer;
  let store: OpenBaoServer;
  const base = () => ({
    connectTimeoutSeconds: 3,
    postgres: { port: SHARED_POSTGRES.port, adminUser: SHARED_POSTGRES.user, gateway: { service: gateway } },
    mongo: { port: ferret.port, adminUser: ferret.adminUser },
  });
  /** `mongoAdminPassword` null: none set as a secret. */
  const attempt = async (databases: Record<string, unknown>, mongoAdminPassword: string | null = ferret.adminPassword) => {
    node.configure({ services: [STORE_SERVICE, { name: gateway }], databases, ...storeConfig(node, store) }, CUSTODY);
    if (mongoAdminPassword !== null) node.setSecretConfig("databases.mongo.adminPassword", mongoAdminPassword);
    return node.run("up");
  };

  beforeAll(async () => {
    node = new TestNode("databases-bad-it");
    ferret = new FerretdbServer(join(node.root, "ferretdb", "state"));
    mkdirSync(ferret.stateDir, { recursive: true });
    await ferret.start();
    store = await startSecretStore(node);
  }, 600_000);

  afterAll(async () => {
    await ferret?.stop().catch(() => undefined);
    store?.stop();
    await dropLeftovers(sfx);
    node?.cleanup();
  });

  it("an unreachable PostgreSQL", async () => {
    const port = await refusingPort();
    expectOneLineError(await attempt({ ...base(), postgres: { ...base().postgres, port } }), `error: edge-security:databases.postgres: cannot connect to PostgreSQL at 127.0.0.1:${port} as "postgres": connect ECONNREFUSED`);
  });

  it("an unreachable MongoDB server (bounded by connectTimeoutSeconds)", async () => {
    const port = await refusingPort();
    const started = Date.now();
    expectOneLineError(await attempt({ ...base(), mongo: { ...base().mongo, port } }), `error: edge-security:databases.mongo: cannot connect to MongoDB at 127.0.0.1:${port} as "admin"`);
    expect(Date.now() - started).toBeLessThan(120_000);
  });

  it("bad MongoDB admin credentials", async () => {
    expectOneLineError(await attempt(base(), "not-the-admin-password"), `error: edge-security:databases.mongo: cannot connect to MongoDB at 127.0.0.1:${ferret.port} as "admin": authentication failed`);
  });

  it("a PostgreSQL admin role that does not exist, or is not superuser", async () => {
    expectOneLineError(await attempt({ ...base(), postgres: { ...base().postgres, adminUser: `nobody_${sfx}` } }), `error: edge-security:databases.postgres: cannot connect to PostgreSQL at 127.0.0.1:${SHARED_POSTGRES.port} as "nobody_${sfx}": role "nobody_${sfx}" does not exist`);
    await sql(pgAdmin, `CREATE ROLE "plain_${sfx}" LOGIN`);
    expectOneLineError(await attempt({ ...base(), postgres: { ...base().postgres, adminUser: `plain_${sfx}` } }), `error: edge-security:databases.postgres.adminUser: "plain_${sfx}" is not a PostgreSQL superuser`);
    await sql(pgAdmin, `DROP ROLE "plain_${sfx}"`);
  });

  it("a name with a quote", async () => {
    expectOneLineError(await attempt({ ...base(), postgres: { ...base().postgres, gateway: { service: gateway, database: `kong"; DROP TABLE x; --` } } }), 'error: edge-security:databases.postgres.gateway.database: "kong\\"; DROP TABLE x; --" contains a quote or NUL character');
  });

  it("a name of 64 bytes or more", async () => {
    const long = "d".repeat(60) + "é".repeat(2); // 64 bytes in UTF-8
    expectOneLineError(await attempt({ ...base(), postgres: { ...base().postgres, gateway: { service: gateway, database: long } } }), `error: edge-security:databases.postgres.gateway.database: "${long}" is 64 bytes long; at most 63 bytes are allowed (PostgreSQL NAMEDATALEN)`);
  });

  it("a gateway that is not one of the services", async () => {
    expectOneLineError(await attempt({ ...base(), postgres: { ...base().postgres, gateway: { service: "kong-elsewhere" } } }), 'error: edge-security:databases.postgres.gateway.service: "kong-elsewhere" is not one of services[].name');
  });

  it("an admin password in plain config", async () => {
    expectOneLineError(await attempt({ ...base(), mongo: { ...base().mongo, adminPassword: ferret.adminPassword } }, null), "error: edge-security:databases: holds an admin password in plain text");
  });

  it("left nothing behind: no resource in the state, no role, database or Mongo user", async () => {
    expect(resourcesOf(node).filter((r) => !r.type.startsWith("pulumi:"))).toEqual([]);
    expect(await sql(pgAdmin, `SELECT count(*) FROM pg_roles WHERE rolname LIKE '%\\_${sfx}'`)).toBe("0");
    expect(await sql(pgAdmin, `SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_${sfx}'`)).toBe("0");
    const admin = ferret.client(ferret.adminUser, ferret.adminPassword, ferret.adminDatabase);
    try {
      expect((await admin.db(`kong_${sfx}`).command({ usersInfo: 1 })).users).toEqual([]);
    } finally {
      await admin.close();
    }
  });
});

describe("PostgreSQL with scram-sha-256 authentication (a private cluster): the passwords really work", { timeout: 600_000 }, () => {
  const sfx = suffix();
  const gateway = `kong-${sfx}`;
  const other = `core-data-${sfx}`;
  let node: TestNode;
  let cluster: PrivatePostgres;
  let store: OpenBaoServer;
  let creds: Record<string, { username: string; password: string }>;
  let logs = "";
  const run = async (command: "up" | "preview" | "refresh" | "destroy") => {
    const result = await node.run(command);
    logs += result.stdout + result.stderr;
    return result;
  };
  const target = (service: string, password: string): PgTarget => ({ host: cluster.host, port: cluster.port, user: creds[service].username, password, database: service.replace(/-/g, "_") });

  beforeAll(async () => {
    node = new TestNode("databases-scram-it");
    cluster = new PrivatePostgres(join(node.root, "pg"), randomBytes(18).toString("base64url"));
    await cluster.start();
    store = await startSecretStore(node);
    node.configure(
      {
        services: [STORE_SERVICE, { name: gateway }, { name: other }],
        databases: { postgres: { port: cluster.port, adminUser: cluster.adminUser, gateway: { service: gateway }, services: [{ service: other }] } },
        ...storeConfig(node, store),
      },
      CUSTODY,
    );
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
    expectOk(await run("up"));
    creds = credentialsOf(node, [gateway, other]);
  }, 600_000);

  afterAll(async () => {
    await cluster?.stop();
    store?.stop();
    node?.cleanup();
  });

  it("each role logs in with its own password and not with another's", async () => {
    expect(await sql(target(gateway, creds[gateway].password), "SELECT current_user")).toBe(creds[gateway].username);
    expect(await sql(target(other, creds[other].password), "SELECT current_user")).toBe(creds[other].username);
    const wrong = await psql(target(gateway, creds[other].password), "SELECT 1");
    expect(wrong.ok).toBe(false);
    expect(wrong.stderr).toContain(`password authentication failed for user "${creds[gateway].username}"`);
  });

  it("keeps the admin's and the roles' passwords out of the state and the logs", async () => {
    const state = node.exportState();
    for (const secret of [cluster.adminPassword, creds[gateway].password, creds[other].password]) {
      expect(state).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(named(resourcesOf(node), `${gateway}-postgres`)!.outputs.adminPassword).toHaveProperty("ciphertext");
  });

  it("a password changed out of band is seen by refresh and put back by up", async () => {
    await sql(cluster.admin(), `ALTER ROLE "${creds[gateway].username}" PASSWORD 'changed-out-of-band'`);
    expect((await psql(target(gateway, creds[gateway].password), "SELECT 1")).ok).toBe(false);
    expectOk(await run("refresh"));
    expect(named(resourcesOf(node), `${gateway}-postgres`)!.outputs.live).toBe("password-changed");
    const up = expectOk(await run("up"));
    expect(changedNames(up)).toEqual([`${gateway}-postgres`]);
    expect(await sql(target(gateway, creds[gateway].password), "SELECT current_user")).toBe(creds[gateway].username);
    expect((await psql(target(gateway, "changed-out-of-band"), "SELECT 1")).ok).toBe(false);
  });

  it("bad admin credentials fail in one line and change nothing", async () => {
    node.setSecretConfig("databases.postgres.adminPassword", "not-the-admin-password");
    const bad = await run("up");
    expectOneLineError(bad, `error: edge-security:databases.postgres: cannot connect to PostgreSQL at 127.0.0.1:${cluster.port} as "${cluster.adminUser}": password authentication failed`);
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
    expect(expectOk(await run("preview")).steps).toEqual([]);
    expect(logs).not.toContain("not-the-admin-password");
  });

  it("destroy drops the roles and databases", async () => {
    expectOk(await run("destroy"));
    expect(await sql(cluster.admin(), `SELECT count(*) FROM pg_roles WHERE rolname LIKE '%\\_${sfx}'`)).toBe("0");
    expect(await sql(cluster.admin(), `SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_${sfx}'`)).toBe("0");
  });
});
