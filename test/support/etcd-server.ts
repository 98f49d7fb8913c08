// The test's own etcd, started through scripts/servers/etcd.sh on free loopback ports, and etcdctl (the real
// client) with a given identity.
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "./harness";

const SCRIPT = join(PROJECT_ROOT, "scripts/servers/etcd.sh");

export class EtcdServer {
  readonly endpoint: string;
  /** What etcd printed (and the waiting shell, e.g. a readiness file that never came). */
  readonly logFile: string;
  private readonly env: NodeJS.ProcessEnv;

  /** listenAddress: one more address etcd listens on (EDGE_ETCD_LISTEN_ADDRESS; tests use another loopback one). */
  constructor(opts: { secretsRoot: string; dataDir: string; port: number; peerPort: number; service?: string; devMode?: boolean; listenAddress?: string }) {
    this.endpoint = `${opts.devMode ? "http" : "https"}://127.0.0.1:${opts.port}`;
    this.logFile = join(opts.dataDir, "server.log");
    this.env = {
      ...process.env,
      EDGE_SECRETS_ROOT: opts.secretsRoot,
      EDGE_ETCD_SERVICE: opts.service ?? "etcd",
      EDGE_ETCD_PORT: String(opts.port),
      EDGE_ETCD_PEER_PORT: String(opts.peerPort),
      EDGE_ETCD_STATE_DIR: opts.dataDir, // data/, pid and server.log (scripts/servers/lib.sh)
      EDGE_ETCD_DEV_MODE: opts.devMode ? "1" : "0",
      EDGE_ETCD_LISTEN_ADDRESS: opts.listenAddress ?? "",
    };
  }

  /** Returns at once; the server itself starts once its readiness file exists (the stack's `up` writes it). */
  start(): void {
    execFileSync("bash", [SCRIPT, "start"], { env: this.env, stdio: "pipe" });
  }

  stop(): void {
    execFileSync("bash", [SCRIPT, "stop"], { env: this.env, stdio: "pipe" });
  }
}

export interface EtcdctlIdentity {
  caCert?: string;
  cert?: string;
  key?: string;
  user?: string;
}

export interface EtcdctlResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs `etcdctl` (API v3) against the endpoint with the given TLS identity; never throws. */
export function etcdctl(endpoint: string, id: EtcdctlIdentity, ...args: string[]): Promise<EtcdctlResult> {
  const tls = [...(id.caCert ? ["--cacert", id.caCert] : []), ...(id.cert ? ["--cert", id.cert] : []), ...(id.key ? ["--key", id.key] : []), ...(id.user ? ["--user", id.user] : [])];
  return new Promise((done) => {
    execFile("etcdctl", ["--endpoints", endpoint, "--dial-timeout", "5s", "--command-timeout", "10s", ...tls, ...args], { env: { ...process.env, ETCDCTL_API: "3" }, encoding: "utf8" }, (err, stdout, stderr) =>
      done({ ok: !err, stdout, stderr }),
    );
  });
}
