// FerretDB for the tests: started through scripts/servers/ferretdb.sh on a free loopback port, with its own state
// folder and a random admin password; ready when the MongoDB driver (a real client) can log in.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { MongoClient } from "mongodb";
import { freePort, PROJECT_ROOT } from "./harness";

const run = promisify(execFile);
const SCRIPT = join(PROJECT_ROOT, "scripts/servers/ferretdb.sh");

export class FerretdbServer {
  readonly host = "127.0.0.1";
  readonly adminUser = "admin";
  readonly adminDatabase = "admin";
  readonly adminPassword = randomBytes(18).toString("base64url");
  port = 0;

  constructor(readonly stateDir: string) {}

  get logFile(): string {
    return join(this.stateDir, "server.log");
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      EDGE_FERRETDB_STATE_DIR: this.stateDir,
      EDGE_FERRETDB_PORT: String(this.port),
      EDGE_FERRETDB_ADMIN_USER: this.adminUser,
      EDGE_FERRETDB_ADMIN_DATABASE: this.adminDatabase,
      EDGE_FERRETDB_ADMIN_PASSWORD_FILE: join(this.stateDir, "..", "ferretdb-admin-password"),
    };
  }

  /**
   * Starts the server (again on the same port after a stop) and waits, bounded by `timeoutMs` with the driver's own
   * server selection, until the admin can log in.
   */
  async start(timeoutMs = 60_000): Promise<void> {
    this.port ||= await freePort();
    writeFileSync(join(this.stateDir, "..", "ferretdb-admin-password"), `${this.adminPassword}\n`, { mode: 0o600 });
    await run("bash", [SCRIPT, "start"], { env: this.env() });
    const client = this.client(this.adminUser, this.adminPassword, this.adminDatabase, timeoutMs);
    try {
      await client.db(this.adminDatabase).command({ ping: 1 });
    } finally {
      await client.close();
    }
  }

  async stop(): Promise<void> {
    await run("bash", [SCRIPT, "stop"], { env: this.env() });
  }

  /** A real MongoDB driver client logging in as `username` against `authSource`. */
  client(username: string, password: string, authSource: string, timeoutMs = 10_000): MongoClient {
    return new MongoClient(`mongodb://${this.host}:${this.port}/`, {
      auth: { username, password },
      authSource,
      authMechanism: "SCRAM-SHA-256",
      directConnection: true,
      serverSelectionTimeoutMS: timeoutMs,
    });
  }

  /** Whether `username`/`password` logs in to `authSource` (false on an authentication failure only). */
  async canLogIn(username: string, password: string, authSource: string): Promise<boolean> {
    const client = this.client(username, password, authSource);
    try {
      await client.db(authSource).command({ ping: 1 });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 18) return false;
      throw err;
    } finally {
      await client.close();
    }
  }
}
