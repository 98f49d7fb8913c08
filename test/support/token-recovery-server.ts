// The test's own token recovery service, started through scripts/servers/token-recovery.sh on a free loopback port
// with the settings file the stack wrote.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./harness";

const SCRIPT = join(PROJECT_ROOT, "scripts/servers/token-recovery.sh");

export class TokenRecoveryServer {
  readonly url: string;
  readonly logFile: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(opts: { secretsRoot: string; stateDir: string; port: number }) {
    this.url = `http://127.0.0.1:${opts.port}`;
    this.logFile = join(opts.stateDir, "server.log");
    this.env = { ...process.env, EDGE_SECRETS_ROOT: opts.secretsRoot, EDGE_TOKEN_RECOVERY_PORT: String(opts.port), EDGE_TOKEN_RECOVERY_STATE_DIR: opts.stateDir };
  }

  /** Returns once it accepts connections (its settings file exists: `up` ran). */
  start(): void {
    execFileSync("bash", [SCRIPT, "start"], { env: this.env, stdio: "pipe" });
  }

  stop(): void {
    execFileSync("bash", [SCRIPT, "stop"], { env: this.env, stdio: "pipe" });
  }

  log(): string {
    try {
      return readFileSync(this.logFile, "utf8");
    } catch {
      return "";
    }
  }
}
