// A shared state backend as an operator sets one up (docs/state-backend.md), on loopback: a private PostgreSQL
// cluster with durable commits (fsync on, unlike the tests' throw-away clusters), TLS with a certificate from a
// CA made here, scram-sha-256 for every login, a database and a role of its own for the state, the password in a
// PGPASSFILE. `env()` is what a runner needs: PULUMI_BACKEND_URL without a password, PGPASSFILE.
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { scramSha256Verifier } from "../../components/databases/postgres";
import { prepareSql } from "../../components/fleet/state-backend";
import { freePort } from "./harness";
import { loopbackTls } from "./loopback-tls";
import { PgTarget, sql } from "./postgres-server";

const exec = promisify(execFile);

/**
 * An object of Pulumi's postgres backend (`data->>'data'`: base64) as a file backend would hold it: a checkpoint
 * the CLI compressed (PULUMI_DIY_BACKEND_ZSTD, `.json.zst`; gzip, `.json.gz`) is known by its magic number and
 * opened with zstd(1) or zlib, so a check of its text never passes because the text was compressed.
 */
export function stateObjectText(base64: string): string {
  const bytes = Buffer.from(base64, "base64");
  if (bytes.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return execFileSync("zstd", ["-d", "-c", "-q"], { input: bytes, maxBuffer: 1 << 30 }).toString("utf8");
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return gunzipSync(bytes).toString("utf8");
  return bytes.toString("utf8");
}

const PG_BIN = process.env.EDGE_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

function postgresIds(): [number, number] {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("no postgres OS user: install postgresql");
  const [, , uid, gid] = line.split(":");
  return [Number(uid), Number(gid)];
}

export class StateBackendServer {
  readonly host = "127.0.0.1";
  port = 0;
  readonly adminPassword = randomBytes(18).toString("hex");
  readonly stateRole = "pulumi_state_owner";
  readonly statePassword = randomBytes(18).toString("hex");
  private readonly pg: string;
  /** Readable by the runners: the CA, the passfile (0600, the runner's own in production). */
  readonly clientDir: string;

  /** `dir` must be traversable by the postgres OS user. */
  constructor(readonly dir: string) {
    this.pg = join(dir, "pg");
    this.clientDir = join(dir, "client");
  }

  get caFile(): string {
    return join(this.clientDir, "ca.pem");
  }

  private asPostgres(cmd: string, args: string[]) {
    return exec("runuser", ["-u", "postgres", "--", join(PG_BIN, cmd), ...args], { encoding: "utf8" });
  }

  /** `settings`: extra server settings (-c name=value), e.g. for a benchmark's variant. */
  async start(settings: string[] = []): Promise<void> {
    this.port = await freePort();
    mkdirSync(this.pg, { recursive: true, mode: 0o700 });
    mkdirSync(this.clientDir, { recursive: true, mode: 0o700 });
    const ids = postgresIds();
    chownSync(this.pg, ...ids);
    // The CA and the server's certificate (CN and SAN 127.0.0.1: the runners verify the name, sslmode=verify-full).
    loopbackTls(this.clientDir, this.pg, "state backend test CA");
    const srv = (f: string) => join(this.pg, f);
    for (const f of ["server.key", "server.crt"]) {
      chownSync(srv(f), ...ids);
      chmodSync(srv(f), 0o600);
    }
    const pwfile = srv("admin-password");
    writeFileSync(pwfile, `${this.adminPassword}\n`, { mode: 0o600 });
    chownSync(pwfile, ...ids);
    const data = srv("data");
    await this.asPostgres("initdb", ["-D", data, "-U", "pgadmin", "--pwfile", pwfile, "--auth", "scram-sha-256", "-E", "UTF8"]);
    // TLS only over TCP: a plain TCP login is refused (hostssl lines only).
    writeFileSync(join(data, "pg_hba.conf"), "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n");
    const opts = [`-c listen_addresses=127.0.0.1 -p ${this.port} -c unix_socket_directories=${this.pg}`, `-c ssl=on -c ssl_cert_file=${srv("server.crt")} -c ssl_key_file=${srv("server.key")}`, ...settings.map((s) => `-c ${s}`)].join(" ");
    await this.asPostgres("pg_ctl", ["-D", data, "-l", srv("server.log"), "-o", opts, "-w", "-t", "60", "start"]);
    writeFileSync(join(this.clientDir, "pgpass"), `127.0.0.1:${this.port}:*:${this.stateRole}:${this.statePassword}\n`, { mode: 0o600 });
  }

  admin(database = "postgres"): PgTarget {
    return { host: this.host, port: this.port, user: "pgadmin", password: this.adminPassword, database };
  }

  /** `database` as the state role that owns it (the role the runners log in as). */
  owner(database: string): PgTarget {
    return { ...this.admin(database), user: this.stateRole, password: this.statePassword };
  }

  /**
   * A database for the state, owned by its own role (the docs' set-up). `prepared`: the project's table settings
   * (prepareSql); otherwise the database is left empty and Pulumi's backend makes its table its own way.
   */
  async createDatabase(name: string, prepared = true): Promise<void> {
    // The role's SCRAM verifier, not its password, is what the SQL carries (as the databases concern does).
    await sql(this.admin(), `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${this.stateRole}') THEN CREATE ROLE ${this.stateRole} LOGIN PASSWORD '${scramSha256Verifier(this.statePassword)}'; END IF; END $$`);
    await sql(this.admin(), `CREATE DATABASE ${name} OWNER ${this.stateRole}`);
    await sql(this.admin(name), `REVOKE ALL ON SCHEMA public FROM PUBLIC; ALTER SCHEMA public OWNER TO ${this.stateRole}`);
    if (prepared) for (const statement of prepareSql()) await sql(this.owner(name), statement);
  }

  /** The runner's environment for the state in `database`: no password in the URL, TLS verified against the CA. */
  env(database: string): Record<string, string> {
    return {
      PULUMI_BACKEND_URL: `postgres://${this.stateRole}@127.0.0.1:${this.port}/${database}?sslmode=verify-full&sslrootcert=${this.caFile}`,
      PGPASSFILE: join(this.clientDir, "pgpass"),
    };
  }

  /** CPU seconds the server's processes have used so far (user + system, from /proc): what the backend costs it. */
  serverCpuSeconds(): number {
    const pid = Number(readFileSync(join(this.pg, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    const tick = 100;
    // The postmaster's own time plus its ended children's (cutime, cstime) and the live children's.
    const stat = (p: number) => readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
    const main = stat(pid);
    let total = Number(main[11]) + Number(main[12]) + Number(main[13]) + Number(main[14]);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    for (const c of children) {
      try {
        const s = stat(c);
        total += Number(s[11]) + Number(s[12]);
      } catch {
        // ended meanwhile: counted in the postmaster's cutime next time
      }
    }
    return total / tick;
  }

  /** A restart as an operator does one (fast shutdown, then the same settings). */
  async restart(): Promise<void> {
    // -l: the server's output goes to its log (otherwise it holds pg_ctl's stdout open and the call never returns).
    await this.asPostgres("pg_ctl", ["-D", join(this.pg, "data"), "-l", join(this.pg, "server.log"), "-m", "fast", "-w", "-t", "60", "restart"]);
  }

  async stop(): Promise<void> {
    await this.asPostgres("pg_ctl", ["-D", join(this.pg, "data"), "-m", "fast", "-w", "stop"]).catch(() => undefined);
  }
}
