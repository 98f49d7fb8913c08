// PostgreSQL's shared-database option for real: the node stack through the real CLI (a real OpenBao gives the
// passwords) against a private PostgreSQL cluster with scram-sha-256 (so passwords are really checked), results
// read back with psql as the admin and as each service's role.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedNames, expectOk, RunResult, TestNode } from "../support/harness";
import { OpenBaoServer } from "../support/openbao-server";
import { PgTarget, PrivatePostgres, psql, sql } from "../support/postgres-server";

interface StateResource {
  urn: string;
  type: string;
  outputs: Record<string, unknown>;
}
const resourcesOf = (node: TestNode, showSecrets = false): StateResource[] => JSON.parse(node.exportState({ showSecrets })).deployment.resources ?? [];
const named = (resources: StateResource[], name: string) => resources.find((r) => r.urn.endsWith(`::${name}`));

/** Each service's credentials as the stack holds them (the secret store's `<service>-db-credentials`). */
function credentialsOf(node: TestNode, services: string[]): Record<string, { username: string; password: string }> {
  const resources = resourcesOf(node, true);
  return Object.fromEntries(
    services.map((s) => {
      const outs = named(resources, `${s}-db-credentials`)!.outputs as { username: string; password: string | { plaintext: string } };
      const password = typeof outs.password === "string" ? outs.password : JSON.parse(outs.password.plaintext);
      if (typeof password !== "string" || password.length < 16) throw new Error(`no password in the state for ${s}`);
      return [s, { username: outs.username, password }];
    }),
  );
}

describe("PostgreSQL shared database: a login role in a group and a schema per service (private scram cluster)", { timeout: 900_000 }, () => {
  const DATABASE = "shared_db";
  const GROUP = "shared_user";
  const services = ["core-keeper", "core-data"];
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
  const admin = (database = "postgres"): PgTarget => ({ ...cluster.admin(), database });
  const as = (service: string, password = creds[service].password): PgTarget => ({ host: cluster.host, port: cluster.port, user: creds[service].username, password, database: DATABASE });
  const role = (service: string) => creds[service].username;
  const liveOf = (service: string) => named(resourcesOf(node), `${service}-postgres-schema`)!.outputs.live;
  const upRepairs = async (expected: string[]): Promise<RunResult> => {
    const up = expectOk(await run("up"));
    expect(changedNames(up).sort()).toEqual(expected.map((s) => `${s}-postgres-schema`).sort());
    return up;
  };

  beforeAll(async () => {
    node = new TestNode("databases-schema-it");
    cluster = new PrivatePostgres(join(node.root, "pg"), randomBytes(18).toString("base64url"));
    await cluster.start();
    store = await OpenBaoServer.create(node);
    store.start();
    node.configure(
      {
        services: [{ name: "secretstore" }, ...services.map((name) => ({ name }))],
        databases: { postgres: { port: cluster.port, adminUser: cluster.adminUser, sharedDatabase: { name: DATABASE, group: GROUP, services: services.map((service) => ({ service })) } } },
        secretStore: { address: store.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
      },
      { secretStoreCustodySecret: "databases-schema-it-custody-0123456789abcdef" },
    );
    node.setSecretConfig("databases.postgres.adminPassword", cluster.adminPassword);
    expectOk(await run("up"));
    creds = credentialsOf(node, services);
  }, 900_000);

  afterAll(async () => {
    await cluster?.stop();
    store?.stop();
    node?.cleanup();
  });

  it("makes the shared database, the group with CONNECT and CREATE on it, and per service a login role in the group", async () => {
    expect(role("core-keeper")).toBe("core_keeper");
    expect(await sql(admin(), `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${DATABASE}'`)).toBe(cluster.adminUser);
    expect(await sql(admin(), `SELECT rolcanlogin FROM pg_roles WHERE rolname = '${GROUP}'`)).toBe("f");
    const granted = await sql(admin(), `SELECT string_agg(a.privilege_type, ',' ORDER BY a.privilege_type) FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = '${DATABASE}' AND a.grantee = '${GROUP}'::regrole`);
    expect(granted).toBe("CONNECT,CREATE");
    for (const s of services) {
      expect(await sql(admin(), `SELECT rolsuper, rolcanlogin, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = '${role(s)}'`)).toBe("f|t|f|f|f");
      expect(await sql(admin(), `SELECT pg_has_role('${role(s)}', '${GROUP}', 'MEMBER')`)).toBe("t");
      const stored = await sql(admin(), `SELECT rolpassword FROM pg_authid WHERE rolname = '${role(s)}'`);
      expect(stored).toMatch(/^SCRAM-SHA-256\$4096:/);
    }
  });

  it("each role logs in to the shared database with its own password only, owns nothing but works in its own schema", async () => {
    const [keeper, data] = services;
    expect(await sql(as(keeper), "SELECT current_user || ' ' || current_database()")).toBe(`${role(keeper)} ${DATABASE}`);
    const wrong = await psql(as(keeper, creds[data].password), "SELECT 1");
    expect(wrong.ok).toBe(false);
    expect(wrong.stderr).toContain(`password authentication failed for user "${role(keeper)}"`);
    // The schema is the admin's, named like the role, and the role has ALL on it.
    expect(await sql(admin(DATABASE), `SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '${role(keeper)}'`)).toBe(cluster.adminUser);
    // What a service does at start (EdgeX: CREATE SCHEMA IF NOT EXISTS <its schema>; then its tables there).
    expect((await psql(as(keeper), `CREATE SCHEMA IF NOT EXISTS ${role(keeper)}; CREATE TABLE ${role(keeper)}.t (id int); INSERT INTO ${role(keeper)}.t VALUES (1)`)).ok).toBe(true);
    expect(await sql(as(keeper), `SELECT count(*) FROM ${role(keeper)}.t`)).toBe("1");
    // Another service's schema is closed to it.
    const intruder = await psql(as(data), `SELECT count(*) FROM ${role(keeper)}.t`);
    expect(intruder.ok).toBe(false);
    expect(intruder.stderr).toContain(`permission denied for schema ${role(keeper)}`);
  });

  it("keeps the passwords out of the state and the logs; a second up changes nothing", async () => {
    const state = node.exportState();
    for (const secret of [cluster.adminPassword, ...services.map((s) => creds[s].password)]) {
      expect(state).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(named(resourcesOf(node), "core-data-postgres-schema")!.outputs.password).toHaveProperty("ciphertext");
    expect(expectOk(await run("preview")).steps).toEqual([]);
  });

  it("a schema dropped, a grant revoked, a role taken out of the group or given another password: seen by refresh, put back by up", async () => {
    const [keeper, data] = services;
    await sql(admin(DATABASE), `DROP SCHEMA ${role(keeper)} CASCADE`);
    await sql(admin(), `REVOKE ${GROUP} FROM ${role(data)}`);
    expectOk(await run("refresh"));
    expect(liveOf(keeper)).toBe("schema-missing");
    expect(liveOf(data)).toBe("group-membership-missing");
    await upRepairs([keeper, data]);
    expect(await sql(admin(), `SELECT pg_has_role('${role(data)}', '${GROUP}', 'MEMBER')`)).toBe("t");
    expect((await psql(as(keeper), `CREATE TABLE ${role(keeper)}.t2 (id int)`)).ok).toBe(true);

    await sql(admin(DATABASE), `REVOKE ALL ON SCHEMA ${role(data)} FROM ${role(data)}`);
    await sql(admin(), `ALTER ROLE ${role(keeper)} PASSWORD 'changed-out-of-band'`);
    expectOk(await run("refresh"));
    expect(liveOf(data)).toBe("schema-grant-missing");
    expect(liveOf(keeper)).toBe("password-changed");
    await upRepairs([keeper, data]);
    expect(await sql(as(keeper), "SELECT current_user")).toBe(role(keeper));
    expect((await psql(as(data), `CREATE TABLE ${role(data)}.t (id int)`)).ok).toBe(true);

    // Without a refresh: preview and up look at the server themselves.
    await sql(admin(), `REVOKE CREATE ON DATABASE ${DATABASE} FROM ${GROUP}`);
    const preview = expectOk(await run("preview"));
    expect(changedNames(preview)).toEqual(services.map((s) => `${s}-postgres-schema`).sort());
    // The grant is shared: whichever role's resource runs first puts it back, and the other may then find it intact.
    const up = expectOk(await run("up"));
    expect(changedNames(up).length).toBeGreaterThan(0);
    for (const name of changedNames(up)) expect(services.map((s) => `${s}-postgres-schema`)).toContain(name);
    expect(await sql(admin(), `SELECT has_database_privilege('${GROUP}', '${DATABASE}', 'CREATE')`)).toBe("t");
    expect(expectOk(await run("preview")).steps).toEqual([]);
  });

  it("a role or the whole shared database dropped is made again by up", async () => {
    const [keeper] = services;
    await sql(admin(DATABASE), `DROP OWNED BY ${role(keeper)}`);
    await sql(admin(), `DROP ROLE ${role(keeper)}`);
    expectOk(await run("refresh"));
    expect(liveOf(keeper)).toBe("role-missing");
    await upRepairs([keeper]);
    expect(await sql(as(keeper), "SELECT current_user")).toBe(role(keeper));

    await sql(admin(), `DROP DATABASE ${DATABASE}`);
    await sql(admin(), `DROP ROLE ${GROUP}`).catch(() => undefined); // members keep it; not needed for the check
    expectOk(await run("refresh"));
    for (const s of services) expect(liveOf(s)).toMatch(/^(database-missing|group-missing)$/);
    await upRepairs(services);
    for (const s of services) {
      expect((await psql(as(s), `CREATE TABLE ${role(s)}.again (id int)`)).ok).toBe(true);
      expect(liveOf(s)).toBe("intact");
    }
  });

  it("destroy drops each role and its schema; the shared database and the group stay", async () => {
    expectOk(await run("destroy"));
    expect(await sql(admin(), `SELECT count(*) FROM pg_roles WHERE rolname IN (${services.map((s) => `'${role(s)}'`).join(",")})`)).toBe("0");
    expect(await sql(admin(DATABASE), `SELECT count(*) FROM pg_namespace WHERE nspname IN (${services.map((s) => `'${role(s)}'`).join(",")})`)).toBe("0");
    expect(await sql(admin(), `SELECT count(*) FROM pg_database WHERE datname = '${DATABASE}'`)).toBe("1");
    expect(await sql(admin(), `SELECT count(*) FROM pg_roles WHERE rolname = '${GROUP}'`)).toBe("1");
  });
});
