// A service's PostgreSQL role and database: create or repair, inspect, drop. No Pulumi in here.
// Providers call these at run time, also from older provider code stored in a stack's state: change signatures
// only compatibly (new optional arguments).
//
// Safety of the SQL: values travel as bind parameters ($1). Identifiers cannot be parameters, so they are quoted
// with pg's escapeIdentifier (and were validated: no quote, no NUL, at most 63 bytes). A password cannot be a
// parameter of CREATE/ALTER ROLE either (utility statements take no parameters), so the statement never carries
// it: it carries a SCRAM-SHA-256 verifier computed here (RFC 5802/7677, as PostgreSQL stores it), which the server
// recognises and stores as is. The plaintext never reaches the server, its logs or pg_stat_activity; the verifier
// (a salted hash, base64 and `$:` characters only) is quoted with escapeLiteral. Statements are never logged.
import { EdgeError } from "../shared/errors";
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { saslprep } from "@mongodb-js/saslprep";
import { escapeIdentifier, escapeLiteral, Pool, PoolClient } from "pg";
import { sha256Hex } from "../shared/files";

export interface PostgresServer {
  host: string;
  port: number;
  adminUser: string;
  /** Absent for trust or peer authentication. */
  adminPassword?: string;
  adminDatabase: string;
  /** Bound on connecting (the server must already accept connections). */
  connectTimeoutMs: number;
}

export interface RoleAndDatabase {
  role: string;
  password: string;
  database: string;
}

/** What `inspectRoleAndDatabase` finds, "intact" when everything is as `ensureRoleAndDatabase` left it. */
export type RoleDatabaseState = "intact" | "role-missing" | "role-attributes-changed" | "password-changed" | "database-missing" | "database-owner-changed";

/** The admin connection of a resource's inputs (every PostgreSQL resource carries these six). */
export function serverOf(p: PostgresServer): PostgresServer {
  return { host: p.host, port: p.port, adminUser: p.adminUser, adminPassword: p.adminPassword, adminDatabase: p.adminDatabase, connectTimeoutMs: p.connectTimeoutMs };
}

/** A failure worth one line to the user (unreachable server, refused credentials, a name taken by someone else). */
export class PostgresError extends EdgeError {
  constructor(message: string) {
    super(message);
    this.name = "PostgresError";
  }
}

const SCRAM_ITERATIONS = 4096; // PostgreSQL's default scram_iterations

/** PostgreSQL applies SASLprep to the password and falls back to the raw bytes when it is not valid. */
function prepared(password: string): string {
  try {
    return saslprep(password);
  } catch {
    return password;
  }
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`: what PostgreSQL keeps in pg_authid.rolpassword. */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations: number = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(prepared(password), salt, iterations, 32, "sha256");
  const storedKey = createHash("sha256").update(createHmac("sha256", salted).update("Client Key").digest()).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Whether a stored rolpassword (SCRAM-SHA-256 or legacy md5) is the verifier of `password` for `role`. */
export function storedPasswordMatches(stored: string | null, password: string, role: string): boolean {
  if (!stored) return false;
  const scram = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored);
  if (scram) {
    const again = scramSha256Verifier(password, Buffer.from(scram[2], "base64"), Number(scram[1]));
    return again.length === stored.length && timingSafeEqual(Buffer.from(again), Buffer.from(stored));
  }
  if (/^md5[0-9a-f]{32}$/.test(stored)) return stored === `md5${createHash("md5").update(password + role).digest("hex")}`;
  return false;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

// One pool of admin connections per server and login for the life of the process: a preview inspects every
// service's role, and each used to pay a connection of its own (TCP, startup, authentication). Connections idle
// for a second are closed, and an idle pool does not keep the process alive (allowExitOnIdle).
const pools = new Map<string, Pool>();
const IDLE_CLOSE_MS = 1_000;

function poolFor(server: PostgresServer): Pool {
  const key = sha256Hex(JSON.stringify([server.host, server.port, server.adminUser, server.adminPassword ?? null, server.adminDatabase, server.connectTimeoutMs]));
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool({
      host: server.host,
      port: server.port,
      user: server.adminUser,
      password: server.adminPassword,
      database: server.adminDatabase,
      connectionTimeoutMillis: server.connectTimeoutMs,
      idleTimeoutMillis: IDLE_CLOSE_MS,
      allowExitOnIdle: true,
    });
    // A dropped connection, idle or in use, would crash the process without a listener: the query that needs it
    // reports it, and the pool retires it.
    pool.on("error", () => undefined);
    pool.on("connect", (client) => client.on("error", () => undefined));
    pools.set(key, pool);
  }
  return pool;
}

/** Runs `fn` on an admin connection (from this process's pool). Connection failures become one PostgresError line. */
export async function withAdmin<T>(server: PostgresServer, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await poolFor(server).connect();
  } catch (err) {
    throw new PostgresError(`cannot connect to PostgreSQL at ${server.host}:${server.port} as ${JSON.stringify(server.adminUser)}: ${oneLine(err)}`);
  }
  let retire = false;
  try {
    return await fn(client);
  } catch (err) {
    // This module's own refusals pass as they are, on a connection that is fine.
    if (err instanceof PostgresError) throw err;
    // Anything from the server or the connection (a refused statement, a FATAL, a connection that dropped) is one
    // line, and the connection is retired: a FATAL ends the session, and a refusal costs only a new connection.
    retire = true;
    throw new PostgresError(`PostgreSQL at ${server.host}:${server.port}: ${oneLine(err)}`);
  } finally {
    client.release(retire);
  }
}

interface RoleRow {
  rolsuper: boolean;
  rolcanlogin: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolreplication: boolean;
  rolpassword: string | null;
}

async function roleRow(client: PoolClient, role: string): Promise<RoleRow | undefined> {
  // pg_authid (not pg_roles) holds the stored verifier: reading it needs a superuser admin.
  const res = await client.query<RoleRow>("SELECT rolsuper, rolcanlogin, rolcreaterole, rolcreatedb, rolreplication, rolpassword FROM pg_catalog.pg_authid WHERE rolname = $1", [role]);
  return res.rows[0];
}

async function databaseOwner(client: PoolClient, database: string): Promise<string | undefined> {
  const res = await client.query<{ owner: string }>("SELECT pg_catalog.pg_get_userbyid(datdba) AS owner FROM pg_catalog.pg_database WHERE datname = $1", [database]);
  return res.rows[0]?.owner;
}

const hasExtraPowers = (row: RoleRow) => row.rolsuper || !row.rolcanlogin || row.rolcreaterole || row.rolcreatedb || row.rolreplication;

/** The role's row; refuses a superuser unless `repair` (the resource already owns the role). */
async function refuseSuperuser(client: PoolClient, role: string, opts: { repair?: boolean }): Promise<RoleRow | undefined> {
  const existing = await roleRow(client, role);
  if (existing?.rolsuper && !opts.repair) {
    throw new PostgresError(`PostgreSQL role ${JSON.stringify(role)} already exists and is a superuser: refusing to adopt it as a service role`);
  }
  return existing;
}

/** Makes the role LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION with the password (a verifier in the SQL). */
async function ensureLoginRole(client: PoolClient, spec: { role: string; password: string }, existing: RoleRow | undefined): Promise<void> {
  const role = escapeIdentifier(spec.role);
  const attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION";
  if (!existing) {
    await client.query(`CREATE ROLE ${role} WITH ${attributes} PASSWORD ${escapeLiteral(scramSha256Verifier(spec.password))}`);
    return;
  }
  if (hasExtraPowers(existing)) await client.query(`ALTER ROLE ${role} WITH ${attributes}`);
  if (!storedPasswordMatches(existing.rolpassword, spec.password, spec.role)) {
    await client.query(`ALTER ROLE ${role} WITH PASSWORD ${escapeLiteral(scramSha256Verifier(spec.password))}`);
  }
}

/**
 * Makes the role (LOGIN, not superuser, no CREATEDB/CREATEROLE/REPLICATION, the given password) and its database
 * (owned by the role; CONNECT and TEMPORARY revoked from PUBLIC, so other roles cannot connect). Adopts what exists
 * when it is already that. With `repair` false (a first create) it refuses to take over a superuser role or a
 * database owned by another role; with `repair` true (the resource already owns them) it puts them back.
 */
export async function ensureRoleAndDatabase(server: PostgresServer, spec: RoleAndDatabase, opts: { repair?: boolean } = {}): Promise<void> {
  await withAdmin(server, async (client) => {
    const role = escapeIdentifier(spec.role);
    const database = escapeIdentifier(spec.database);
    await ensureLoginRole(client, spec, await refuseSuperuser(client, spec.role, opts));
    const owner = await databaseOwner(client, spec.database);
    if (owner === undefined) {
      // CREATE DATABASE cannot run in a transaction block; pg sends it as a single simple statement.
      await client.query(`CREATE DATABASE ${database} OWNER ${role}`);
    } else if (owner !== spec.role) {
      if (!opts.repair) throw new PostgresError(`PostgreSQL database ${JSON.stringify(spec.database)} already exists and is owned by ${JSON.stringify(owner)}, not ${JSON.stringify(spec.role)}: refusing to take it over`);
      await client.query(`ALTER DATABASE ${database} OWNER TO ${role}`);
    }
    await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC`);
  });
}

/** The live state of a role and its database, for refresh and drift detection. */
export async function inspectRoleAndDatabase(server: PostgresServer, spec: RoleAndDatabase): Promise<RoleDatabaseState> {
  return withAdmin(server, async (client) => {
    const row = await roleRow(client, spec.role);
    if (!row) return "role-missing";
    if (hasExtraPowers(row)) return "role-attributes-changed";
    if (!storedPasswordMatches(row.rolpassword, spec.password, spec.role)) return "password-changed";
    const owner = await databaseOwner(client, spec.database);
    if (owner === undefined) return "database-missing";
    if (owner !== spec.role) return "database-owner-changed";
    return "intact";
  });
}

/**
 * Drops the database (only while the role still owns it: a database someone else owns now is left alone) and then
 * the role. Both may already be gone. A database with open sessions is not forced: the error says so.
 */
export async function dropRoleAndDatabase(server: PostgresServer, spec: { role: string; database: string }): Promise<void> {
  await withAdmin(server, async (client) => {
    if ((await databaseOwner(client, spec.database)) === spec.role) await client.query(`DROP DATABASE ${escapeIdentifier(spec.database)}`);
    if (await roleRow(client, spec.role)) await client.query(`DROP ROLE ${escapeIdentifier(spec.role)}`);
  });
}

// ---- A login role with a schema of its name in a shared database, in a group with CONNECT and CREATE on it ----
// The shape: one shared database (created if missing, owned by the admin), one group role (NOLOGIN, created if
// missing) granted CONNECT and CREATE on it; per role: LOGIN, not superuser, no CREATEDB/CREATEROLE/REPLICATION,
// member of the group, and in the shared database a schema named like the role, owned by the admin, with ALL on it
// (and on its tables) granted to the role. Several roles share the database and the group: their creation is
// serialized by an advisory lock, so resources created in parallel do not race on CREATE DATABASE or GRANT.

export interface SchemaRole {
  /** The shared database. */
  database: string;
  /** The group role every schema role belongs to. */
  group: string;
  /** The login role; its schema has the same name. */
  role: string;
  password: string;
}

/** What `inspectSchemaRole` finds, "intact" when everything is as `ensureSchemaRole` left it. */
export type SchemaRoleState =
  | "intact"
  | "role-missing"
  | "role-attributes-changed"
  | "password-changed"
  | "group-missing"
  | "group-membership-missing"
  | "database-missing"
  | "database-grant-missing"
  | "schema-missing"
  | "schema-grant-missing";

async function roleExists(client: PoolClient, role: string): Promise<boolean> {
  return (await client.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [role])).rowCount === 1;
}

async function isMember(client: PoolClient, role: string, group: string): Promise<boolean> {
  const res = await client.query(
    "SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid JOIN pg_catalog.pg_roles r ON r.oid = m.member WHERE g.rolname = $1 AND r.rolname = $2",
    [group, role],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Whether `grantee` holds each of `privileges` on the database by a grant of its own (not through PUBLIC). */
async function databaseGranted(client: PoolClient, database: string, grantee: string, privileges: string[]): Promise<boolean> {
  const res = await client.query<{ privilege_type: string }>(
    "SELECT a.privilege_type FROM pg_catalog.pg_database d, LATERAL pg_catalog.aclexplode(d.datacl) a JOIN pg_catalog.pg_roles r ON r.oid = a.grantee WHERE d.datname = $1 AND r.rolname = $2",
    [database, grantee],
  );
  const held = new Set(res.rows.map((r) => r.privilege_type));
  return privileges.every((p) => held.has(p));
}

/** In the current database: "missing", "ungranted" (the role lacks USAGE or CREATE on it) or "ok". */
async function schemaState(client: PoolClient, schema: string, role: string): Promise<"missing" | "ungranted" | "ok"> {
  const res = await client.query<{ privilege_type: string | null }>(
    "SELECT a.privilege_type FROM pg_catalog.pg_namespace n LEFT JOIN LATERAL (SELECT x.privilege_type FROM pg_catalog.aclexplode(n.nspacl) x JOIN pg_catalog.pg_roles r ON r.oid = x.grantee WHERE r.rolname = $2) a ON true WHERE n.nspname = $1",
    [schema, role],
  );
  if (res.rows.length === 0) return "missing";
  const held = new Set(res.rows.map((r) => r.privilege_type));
  return held.has("USAGE") && held.has("CREATE") ? "ok" : "ungranted";
}

/** PostgreSQL's "already exists" (and the unique-index race under it): the object is there, which is what we want. */
const alreadyExists = (err: unknown) => ["42P04", "42710", "23505"].includes((err as { code?: string }).code ?? "");

/**
 * Makes (or repairs) the shared database, the group with CONNECT and CREATE on it, the login role in the group with
 * its password, and the role's schema with ALL granted to it. Adopts what exists; with `repair` false (a first
 * create) it refuses a superuser role.
 */
export async function ensureSchemaRole(server: PostgresServer, spec: SchemaRole, opts: { repair?: boolean } = {}): Promise<void> {
  const role = escapeIdentifier(spec.role);
  const group = escapeIdentifier(spec.group);
  const database = escapeIdentifier(spec.database);
  await withAdmin(server, async (client) => {
    const existing = await refuseSuperuser(client, spec.role, opts);
    // What the roles share, once at a time across every process that manages this database.
    await client.query("SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext($1))", [`edge-security:shared-database:${spec.database}`]);
    try {
      if ((await databaseOwner(client, spec.database)) === undefined) {
        await client.query(`CREATE DATABASE ${database}`).catch((err) => {
          if (!alreadyExists(err)) throw err;
        });
      }
      if (!(await roleExists(client, spec.group))) {
        await client.query(`CREATE ROLE ${group} NOLOGIN`).catch((err) => {
          if (!alreadyExists(err)) throw err;
        });
      }
      if (!(await databaseGranted(client, spec.database, spec.group, ["CONNECT", "CREATE"]))) await client.query(`GRANT CONNECT, CREATE ON DATABASE ${database} TO ${group}`);
    } finally {
      await client.query("SELECT pg_catalog.pg_advisory_unlock(pg_catalog.hashtext($1))", [`edge-security:shared-database:${spec.database}`]);
    }
    await ensureLoginRole(client, spec, existing);
    if (!(await isMember(client, spec.role, spec.group))) await client.query(`GRANT ${group} TO ${role}`);
  });
  // The schema lives in the shared database: another connection.
  await withAdmin({ ...server, adminDatabase: spec.database }, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${role}`);
    await client.query(`GRANT ALL ON SCHEMA ${role} TO ${role}`);
    await client.query(`GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA ${role} TO ${role}`);
  });
}

/** The live state of a schema role, for refresh and drift detection. */
export async function inspectSchemaRole(server: PostgresServer, spec: SchemaRole): Promise<SchemaRoleState> {
  const found = await withAdmin(server, async (client): Promise<SchemaRoleState> => {
    const row = await roleRow(client, spec.role);
    if (!row) return "role-missing";
    if (hasExtraPowers(row)) return "role-attributes-changed";
    if (!storedPasswordMatches(row.rolpassword, spec.password, spec.role)) return "password-changed";
    if (!(await roleExists(client, spec.group))) return "group-missing";
    if (!(await isMember(client, spec.role, spec.group))) return "group-membership-missing";
    if ((await databaseOwner(client, spec.database)) === undefined) return "database-missing";
    if (!(await databaseGranted(client, spec.database, spec.group, ["CONNECT", "CREATE"]))) return "database-grant-missing";
    return "intact";
  });
  if (found !== "intact") return found;
  const schema = await withAdmin({ ...server, adminDatabase: spec.database }, (client) => schemaState(client, spec.role, spec.role));
  return schema === "missing" ? "schema-missing" : schema === "ungranted" ? "schema-grant-missing" : "intact";
}

/**
 * Drops the role's schema with everything in it, what the role owns in the shared database, and the role. The
 * shared database and the group stay: other roles (and data) may share them. Any of these may already be gone.
 */
export async function dropSchemaRole(server: PostgresServer, spec: { database: string; role: string }): Promise<void> {
  const role = escapeIdentifier(spec.role);
  const [databaseThere, roleThere] = await withAdmin(server, async (client) => [(await databaseOwner(client, spec.database)) !== undefined, await roleExists(client, spec.role)]);
  if (databaseThere) {
    await withAdmin({ ...server, adminDatabase: spec.database }, async (client) => {
      await client.query(`DROP SCHEMA IF EXISTS ${role} CASCADE`);
      if (roleThere) await client.query(`DROP OWNED BY ${role}`);
    });
  }
  if (roleThere) await withAdmin(server, (client) => client.query(`DROP ROLE IF EXISTS ${role}`));
}
