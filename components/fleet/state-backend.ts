// The shared state backend of a fleet: Pulumi's own PostgreSQL backend (`postgres://`, pkg/backend/diy/postgres),
// on a database prepared for it (docs/state-backend.md). What this module adds to the CLI's backend:
//  - the rule for the URL: TLS that verifies the server against a CA the operator names, and no password in it (the
//    URL is printed by the CLI, kept in its credentials file and the fleet's logs; the password comes from a
//    PGPASSFILE, which the CLI's driver, lib/pq, and node-postgres both read);
//  - the table as Pulumi's backend would make it, with lz4 instead of pglz for the large values (see the docs for
//    why: every checkpoint rewrites the whole state twice, and pglz costs most of the time);
//  - the connection the fleet runners share their claims over (claims.ts), built from the same URL.
import { readFileSync } from "node:fs";
import type { ClientConfig } from "pg";
import { FleetUsageError } from "./args";

/** The pgpass module (node-postgres's own dependency, pinned in package.json): libpq's PGPASSFILE / ~/.pgpass rules. */
type PgPass = (connection: { host: string; port: number; database: string; user: string }, found: (password?: string) => void) => void;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module ships no types
const pgpass: PgPass = require("pgpass");

/** The table Pulumi's backend uses unless the URL says `table=`. */
export const DEFAULT_STATE_TABLE = "pulumi_state";

export class StateBackendError extends Error {}

export interface PostgresBackend {
  /** node-postgres settings for the same server, database, user and TLS as the CLI's. */
  client: ClientConfig;
  table: string;
  /** The URL without anything secret (it has none): for messages. */
  display: string;
}

const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The password of `connection` from the pgpass file; none found resolves undefined (node-postgres then sends none). */
function pgpassPassword(connection: Parameters<PgPass>[0]): () => Promise<string> {
  return () => new Promise<string | undefined>((found) => pgpass(connection, found)) as Promise<string>;
}

/**
 * The PostgreSQL backend a `postgres://` URL names, checked: undefined for another kind of backend. Every mistake is
 * one line naming PULUMI_BACKEND_URL. Environment fallbacks are libpq's (PGHOST, PGPORT, PGUSER, PGDATABASE,
 * PGSSLMODE, PGSSLROOTCERT), as the CLI's driver reads them.
 */
export function postgresBackend(url: string, env: NodeJS.ProcessEnv = process.env): PostgresBackend | undefined {
  if (!/^postgres(ql)?:\/\//.test(url)) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StateBackendError("PULUMI_BACKEND_URL: not a valid postgres:// URL");
  }
  if (u.password) {
    throw new StateBackendError("PULUMI_BACKEND_URL: carries a password; put it in a PGPASSFILE (0600) instead: the URL is printed and stored by the CLI");
  }
  const q = u.searchParams;
  const sslmode = q.get("sslmode") ?? env.PGSSLMODE ?? "prefer";
  if (sslmode !== "verify-full" && sslmode !== "verify-ca") {
    throw new StateBackendError(`PULUMI_BACKEND_URL: sslmode=${sslmode}; a shared state backend needs sslmode=verify-full (TLS checked against your CA, sslrootcert=<ca.pem>)`);
  }
  const rootCert = q.get("sslrootcert") ?? env.PGSSLROOTCERT;
  if (!rootCert) throw new StateBackendError("PULUMI_BACKEND_URL: sslrootcert=<ca.pem> (or PGSSLROOTCERT) is required: the CA the backend server's certificate is checked against");
  let ca: string;
  try {
    ca = readFileSync(rootCert, "utf8");
  } catch {
    throw new StateBackendError(`PULUMI_BACKEND_URL: sslrootcert ${rootCert} cannot be read`);
  }
  const table = q.get("table") ?? DEFAULT_STATE_TABLE;
  if (!SQL_NAME.test(table)) throw new StateBackendError(`PULUMI_BACKEND_URL: table=${table} is not a plain lower-case SQL name`);
  const host = decodeURIComponent(u.hostname.replace(/^\[|\]$/g, "")) || env.PGHOST || "localhost";
  const user = decodeURIComponent(u.username) || env.PGUSER;
  if (!user) throw new StateBackendError("PULUMI_BACKEND_URL: names no user (postgres://<user>@host:port/db, or PGUSER)");
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || env.PGDATABASE || user;
  const port = Number(u.port || env.PGPORT || 5432);
  return {
    // No password here: it is read from PGPASSFILE (or ~/.pgpass) when the server asks, as the CLI's driver does.
    // node-postgres would read that file by itself, but prints a deprecation warning on every runner (the support
    // goes in pg 9): the same module, called here.
    client: { host, port, user, database, password: pgpassPassword({ host, port, database, user }), ssl: { ca, rejectUnauthorized: true, ...(sslmode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}) }, application_name: "edge-security fleet", connectionTimeoutMillis: 15_000, keepAlive: true },
    table,
    display: `postgres://${user}@${host}:${port}/${database}`,
  };
}

/**
 * The SQL that prepares the backend's database, run once by its owner (the role the CLI logs in as): the table
 * Pulumi's backend would create (same columns, same index: it runs `CREATE TABLE IF NOT EXISTS` and keeps ours),
 * with lz4 compression for the state values, and the fleet's claims table (claims.ts).
 */
export function prepareSql(table = DEFAULT_STATE_TABLE): string[] {
  if (!SQL_NAME.test(table)) throw new StateBackendError(`table ${table} is not a plain lower-case SQL name`);
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, data JSON NOT NULL, updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now())`,
    `CREATE INDEX IF NOT EXISTS ${table}_key_prefix_idx ON ${table} (key text_pattern_ops)`,
    // Every checkpoint rewrites the whole state (and its .bak copy): pglz, PostgreSQL's default, took most of a
    // run's time compressing those values; lz4 does the same in a fraction (docs/state-backend.md).
    `ALTER TABLE ${table} ALTER COLUMN data SET COMPRESSION lz4`,
  ];
}

/**
 * What the CLI is given for a shared backend (`postgres://`, `s3://`) unless the operator set it, by the runners
 * (bin/automation.ts) and, for `npm run pulumi` and the demo, by scripts/env.sh (the same rule in shell):
 *  - PULUMI_DIY_BACKEND_ZSTD=true: the CLI compresses each checkpoint with zstd before it sends it (`.json.zst`
 *    objects). Every step of an `up` rewrites the whole state and its `.bak` copy in the backend; compressed, the
 *    server handles about a sixth of the bytes, and its CPU (on PostgreSQL: base64 in JSON, parsed, compressed again,
 *    WAL-logged) was most of what a shared backend added to a node's cold `up` (docs/state-backend.md). Runners that
 *    differ are safe: the CLI reads either form and each save converts the stack to its own.
 *    Left alone when PULUMI_DIY_BACKEND_ZSTD or a gzip setting is set (the CLI refuses both compressions at once).
 *  - PULUMI_DIY_BACKEND_PARALLEL=1 (postgres://): listing stacks with the default 10 parallel reads waits forever
 *    on a machine with fewer than 6 cores (the backend's pool is 2 connections per core).
 */
export function sharedBackendCliEnv(url: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const postgres = /^postgres(ql)?:\/\//.test(url);
  if (!postgres && !url.startsWith("s3://")) return {};
  const set = (name: string) => env[name] !== undefined && env[name] !== "";
  const compressionSet = ["PULUMI_DIY_BACKEND_ZSTD", "PULUMI_DIY_BACKEND_GZIP", "PULUMI_SELF_MANAGED_STATE_GZIP"].some(set);
  return {
    ...(compressionSet ? {} : { PULUMI_DIY_BACKEND_ZSTD: "true" }),
    ...(postgres && !set("PULUMI_DIY_BACKEND_PARALLEL") ? { PULUMI_DIY_BACKEND_PARALLEL: "1" } : {}),
  };
}

/** postgresBackend for a fleet command: a mistake in the URL is the command's usage error (one line, exit status 2). */
export function fleetBackend(url: string): PostgresBackend | undefined {
  try {
    return postgresBackend(url);
  } catch (err) {
    if (err instanceof StateBackendError) throw new FleetUsageError(err.message);
    throw err;
  }
}
