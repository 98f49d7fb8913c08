// PostgreSQL for the tests. The shared server on 127.0.0.1:5432 (trust authentication for local admin) is used with
// unique role and database names (on a machine where none answers, a private trust cluster stands in for it); `PrivatePostgres` starts a throw-away cluster of the installed PostgreSQL on a
// free loopback port with scram-sha-256 authentication for everyone, where a password is really checked.
// `psql` (the real client) reads the results back.
import { execFile } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./harness";

const exec = promisify(execFile);

export interface PgTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

/** The shared server; `ensureSharedPostgres()` points it at a private cluster when nothing answers there. */
export const SHARED_POSTGRES = {
  host: process.env.EDGE_TEST_PG_HOST ?? "127.0.0.1",
  port: Number(process.env.EDGE_TEST_PG_PORT ?? 5432),
  user: process.env.EDGE_TEST_PG_USER ?? "postgres",
  database: "postgres",
};

export interface PsqlResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs one SQL command with psql (unaligned, tuples only); never throws for a refused login or a failed query. */
export async function psql(target: PgTarget, sql: string): Promise<PsqlResult> {
  try {
    const { stdout, stderr } = await exec("psql", ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", target.host, "-p", String(target.port), "-U", target.user, "-d", target.database, "-c", sql], {
      // No password prompt: a missing or wrong password fails at once.
      env: { ...process.env, PGPASSWORD: target.password ?? "", PGCONNECT_TIMEOUT: "10" },
      encoding: "utf8",
    });
    return { ok: true, stdout: stdout.trim(), stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, stdout: (e.stdout ?? "").trim(), stderr: e.stderr ?? String(err) };
  }
}

/** psql that must succeed: its output. */
export async function sql(target: PgTarget, command: string): Promise<string> {
  const res = await psql(target, command);
  if (!res.ok) throw new Error(`psql failed: ${res.stderr}`);
  return res.stdout;
}

const PG_BIN = process.env.EDGE_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/**
 * A private PostgreSQL cluster (initdb + pg_ctl as the `postgres` OS user), scram-sha-256 for every connection;
 * or, with `trust`, a stand-in for the shared server (superuser `postgres`, no password, loopback only).
 */
export class PrivatePostgres {
  readonly host = "127.0.0.1";
  readonly adminUser: string;
  port = 0;
  private readonly data: string;

  constructor(readonly dir: string, readonly adminPassword: string, private readonly opts: { trust?: boolean } = {}) {
    this.data = join(dir, "data");
    this.adminUser = opts.trust ? "postgres" : "pgadmin";
  }

  private asPostgres(cmd: string, args: string[]) {
    return exec("runuser", ["-u", "postgres", "--", join(PG_BIN, cmd), ...args], { encoding: "utf8" });
  }

  /** pg_ctl -w waits for the server to accept connections, bounded by -t. */
  async start(timeoutSeconds = 60): Promise<void> {
    this.port = await freePort();
    mkdirSync(this.dir, { recursive: true });
    chmodSync(this.dir, 0o700);
    chownSync(this.dir, ...this.postgresIds());
    const pwfile = join(this.dir, "admin-password");
    writeFileSync(pwfile, `${this.adminPassword}\n`, { mode: 0o600 });
    chownSync(pwfile, ...this.postgresIds());
    const auth = this.opts.trust ? ["--auth", "trust"] : ["--pwfile", pwfile, "--auth", "scram-sha-256"];
    await this.asPostgres("initdb", ["-D", this.data, "-U", this.adminUser, ...auth, "-E", "UTF8", "--no-sync"]);
    const opts = `-c listen_addresses=127.0.0.1 -p ${this.port} -c unix_socket_directories=${this.dir} -c fsync=off`;
    await this.asPostgres("pg_ctl", ["-D", this.data, "-l", join(this.dir, "server.log"), "-o", opts, "-w", "-t", String(timeoutSeconds), "start"]);
  }

  async stop(): Promise<void> {
    await this.asPostgres("pg_ctl", ["-D", this.data, "-m", "fast", "-w", "stop"]).catch(() => undefined);
  }

  admin(): PgTarget {
    return { host: this.host, port: this.port, user: this.adminUser, password: this.adminPassword, database: "postgres" };
  }

  private postgresIds(): [number, number] {
    const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
    if (!line) throw new Error("no postgres OS user: install postgresql");
    const [, , uid, gid] = line.split(":");
    return [Number(uid), Number(gid)];
  }
}

let standIn: { cluster: PrivatePostgres; root: string } | undefined;

/**
 * Makes SHARED_POSTGRES answer: when no PostgreSQL answers at its address (a machine without one), starts a
 * private trust cluster on a free loopback port and points SHARED_POSTGRES at it. Idempotent; undo with
 * `stopSharedPostgres()`.
 */
export async function ensureSharedPostgres(): Promise<void> {
  if (standIn) return;
  const ready = await exec("pg_isready", ["-q", "-h", SHARED_POSTGRES.host, "-p", String(SHARED_POSTGRES.port), "-t", "5"]).then(
    () => true,
    () => false,
  );
  if (ready) return;
  // Under a folder the postgres OS user can traverse (mkdtemp makes 0700 folders).
  const root = mkdtempSync(join(tmpdir(), "edge-pg-"));
  chmodSync(root, 0o755);
  const cluster = new PrivatePostgres(join(root, "pg"), "", { trust: true });
  await cluster.start();
  standIn = { cluster, root };
  Object.assign(SHARED_POSTGRES, { host: cluster.host, port: cluster.port, user: cluster.adminUser });
}

export async function stopSharedPostgres(): Promise<void> {
  if (!standIn) return;
  await standIn.cluster.stop();
  rmSync(standIn.root, { recursive: true, force: true });
  standIn = undefined;
}
