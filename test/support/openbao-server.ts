// The real OpenBao server for integration tests, started and stopped through scripts/servers/openbao.sh (as
// the demo does), on a free loopback port, and the real `bao` CLI to check what the stack did.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT, TestNode, freePort } from "./harness";

const SCRIPT = join(PROJECT_ROOT, "scripts/servers/openbao.sh");
export const BAO = join(PROJECT_ROOT, "tools/bin/bao");

export class OpenBaoServer {
  private constructor(
    readonly node: TestNode,
    readonly port: number,
    readonly service: string,
  ) {}

  static async create(node: TestNode, service = "secretstore"): Promise<OpenBaoServer> {
    return new OpenBaoServer(node, await freePort(), service);
  }

  get address(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  private get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      EDGE_SECRETS_ROOT: this.node.secretsRoot,
      EDGE_SERVER_STATE_DIR: join(this.node.root, "servers"),
      EDGE_OPENBAO_SERVICE: this.service,
      EDGE_OPENBAO_LISTEN: `127.0.0.1:${this.port}`,
      EDGE_SERVER_WAIT_SECONDS: "600",
    };
  }

  /** Starts in the background; the server itself starts once the service's readiness file exists. */
  start(): void {
    execFileSync("bash", [SCRIPT, "start"], { env: this.env, stdio: "pipe" });
  }

  stop(): void {
    execFileSync("bash", [SCRIPT, "stop"], { env: this.env, stdio: "pipe" });
  }

  /** The real CLI against this server, trusting the node's CA; never throws: returns status and output. */
  bao(args: string[], token?: string): { status: number; stdout: string; stderr: string } {
    // A copy of the node CA, so the CLI still trusts the server after `destroy` removed the secrets root.
    const caCopy = join(this.node.root, "bao-ca.pem");
    if (existsSync(join(this.node.secretsRoot, "ca.pem"))) copyFileSync(join(this.node.secretsRoot, "ca.pem"), caCopy);
    const res = spawnSync(BAO, args, {
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: this.node.root, BAO_ADDR: this.address, BAO_CACERT: caCopy, ...(token ? { BAO_TOKEN: token } : {}) },
    });
    return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
  }

  /** `bao status -format=json` (exit 2 means sealed; the JSON is printed either way). */
  status(): { initialized: boolean; sealed: boolean } {
    return JSON.parse(this.bao(["status", "-format=json"]).stdout);
  }

  get logFile(): string {
    return join(this.node.root, "servers/openbao/server.log");
  }
}
