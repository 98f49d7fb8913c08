// An S3-compatible state backend on loopback, as an operator would run one for Pulumi's `s3://` backend
// (docs/state-backend.md): a private SeaweedFS (`weed server`: master, volume server, filer and S3 gateway in one
// process), built from the Go module proxy by scripts/go/seaweedfs/build.sh into tools/seaweedfs on first use, in a
// folder of its own, every port a free loopback one; the S3 endpoint over TLS only (a throw-away CA's certificate
// for 127.0.0.1, trusted by the CLI through AWS_CA_BUNDLE), one identity with an access key and secret (SeaweedFS's
// -s3.config), no anonymous access. `env(bucket)` is what a runner needs: PULUMI_BACKEND_URL without a key in it,
// the key pair in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the CA in AWS_CA_BUNDLE.
import { ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { freePort, PROJECT_ROOT } from "./harness";
import { loopbackTls } from "./loopback-tls";

const exec = promisify(execFile);
const WEED_DIR = join(PROJECT_ROOT, "tools", "seaweedfs");
export const WEED = join(WEED_DIR, "weed");

/**
 * tools/seaweedfs/weed, built by scripts/go/seaweedfs/build.sh the first time (not by `npm run setup`: it takes
 * many minutes and only the benchmark needs it); the build's own lines say what it does, then how long it took.
 */
export async function ensureWeed(): Promise<string> {
  const started = performance.now();
  const build = spawn("bash", [join(PROJECT_ROOT, "scripts/go/seaweedfs/build.sh"), WEED_DIR], { stdio: ["ignore", "inherit", "inherit"] });
  const code = await new Promise<number | null>((done) => build.once("exit", done));
  if (code !== 0) throw new Error(`scripts/go/seaweedfs/build.sh failed (exit ${code}): SeaweedFS is needed for the S3 rows (BENCH_BACKEND_S3=0 skips them)`);
  const seconds = (performance.now() - started) / 1000;
  if (seconds > 10) console.error(`weed: ready after ${seconds.toFixed(0)}s`);
  return WEED;
}

export class S3Server {
  readonly host = "127.0.0.1";
  /** The S3 endpoint's port (HTTPS). */
  port = 0;
  readonly accessKey = `edge${randomBytes(8).toString("hex")}`;
  readonly secretKey = randomBytes(24).toString("base64url");
  private readonly ports: Record<string, number> = {};
  private proc?: ChildProcess;
  private readonly data: string;
  /** Readable by the runners: the CA's certificate. */
  readonly clientDir: string;

  constructor(readonly dir: string) {
    this.data = join(dir, "weed");
    this.clientDir = join(dir, "client");
  }

  get caFile(): string {
    return join(this.clientDir, "ca.pem");
  }

  get endpoint(): string {
    return `https://${this.host}:${this.port}`;
  }

  private get masterAddress(): string {
    // SeaweedFS's "host:port.grpcPort" form: the gRPC port is not the default port+10000 here.
    return `${this.host}:${this.ports.master}.${this.ports.masterGrpc}`;
  }

  private get filerAddress(): string {
    return `${this.host}:${this.ports.filer}.${this.ports.filerGrpc}`;
  }

  async start(): Promise<void> {
    const weed = await ensureWeed();
    for (const name of ["master", "masterGrpc", "volume", "volumeGrpc", "filer", "filerGrpc", "s3", "s3Grpc"]) this.ports[name] = await freePort();
    this.port = this.ports.s3;
    mkdirSync(join(this.data, "store"), { recursive: true, mode: 0o700 });
    mkdirSync(this.clientDir, { recursive: true, mode: 0o700 });
    chmodSync(this.clientDir, 0o755);
    const tls = loopbackTls(this.clientDir, this.data, "s3 state backend test CA");
    chmodSync(tls.keyFile, 0o600);
    // The one identity the runners use: read, write and list objects; no Admin (buckets are made here, with
    // `weed shell`), and no anonymous identity, so a request without a valid signature is refused.
    const config = join(this.data, "s3.json");
    writeFileSync(config, JSON.stringify({ identities: [{ name: "pulumi-state", credentials: [{ accessKey: this.accessKey, secretKey: this.secretKey }], actions: ["Read", "Write", "List"] }] }), { mode: 0o600 });
    const p = this.ports;
    const args = [
      "-logtostderr", // to server.log below, not to files in /tmp
      "server",
      `-dir=${join(this.data, "store")}`,
      `-ip=${this.host}`,
      `-ip.bind=${this.host}`,
      `-master.port=${p.master}`,
      `-master.port.grpc=${p.masterGrpc}`,
      "-master.telemetry=false", // on by default: it would post to telemetry.seaweedfs.com
      "-master.volumeSizeLimitMB=1024",
      `-volume.port=${p.volume}`,
      `-volume.port.grpc=${p.volumeGrpc}`,
      "-volume.max=64", // each bucket is a collection with volumes of its own: 8 (the default) fits one bucket
      "-volume.preStopSeconds=1", // no other server to hand writes to: stop() need not wait the default 10 s
      "-filer",
      `-filer.port=${p.filer}`,
      `-filer.port.grpc=${p.filerGrpc}`,
      `-filer.localSocket=${join(this.data, "filer.sock")}`,
      "-s3",
      `-s3.port=${p.s3}`,
      `-s3.port.grpc=${p.s3Grpc}`,
      "-s3.port.iceberg=0", // the Iceberg and Lance catalogs listen on fixed ports by default: not needed
      "-s3.port.lance=0",
      "-s3.iam=false", // no IAM API on the S3 port: the identity above is the only one
      `-s3.config=${config}`,
      `-s3.cert.file=${tls.certFile}`, // with a key file, the S3 port serves HTTPS only
      `-s3.key.file=${tls.keyFile}`,
      `-s3.localSocket=${join(this.data, "s3.sock")}`,
    ];
    const log = openSync(join(this.data, "server.log"), "a");
    // cwd: SeaweedFS reads master.toml, filer.toml, security.toml from "." first; there are none here.
    this.proc = spawn(weed, args, { cwd: this.data, stdio: ["ignore", log, log] });
    closeSync(log);
    const exited = new Promise<never>((_, reject) => this.proc!.once("exit", (code, signal) => reject(new Error(`weed server exited (${code ?? signal}) before it answered: ${this.logTail()}`))));
    await Promise.race([this.waitForS3(), exited]);
  }

  private logTail(): string {
    const file = join(this.data, "server.log");
    return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").slice(-5).join(" | ") : "no log";
  }

  /** Until the S3 port answers an HTTPS request (any status: an unsigned request is refused with 403). */
  private async waitForS3(): Promise<void> {
    const ca = readFileSync(this.caFile);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const answered = await new Promise<boolean>((done) => {
        const req = request({ host: this.host, port: this.port, path: "/", method: "GET", ca, timeout: 2000 }, (res) => {
          res.resume();
          done(true);
        });
        req.once("error", () => done(false));
        req.once("timeout", () => req.destroy());
        req.end();
      });
      if (answered) return;
      if (Date.now() > deadline) throw new Error(`SeaweedFS's S3 endpoint ${this.endpoint} did not answer within 120 s: ${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** `weed shell` commands against this server (one per line); throws with its output when one fails. */
  private async shell(commands: string[]): Promise<string> {
    const child = execFile(WEED, ["-logtostderr", "shell", `-master=${this.masterAddress}`, `-filer=${this.filerAddress}`], { cwd: this.data, encoding: "utf8", timeout: 120_000 });
    child.stdin!.end(commands.join("\n") + "\n");
    const [code, stdout, stderr] = await new Promise<[number | null, string, string]>((done) => {
      let out = "";
      let err = "";
      child.stdout!.on("data", (d) => (out += d));
      child.stderr!.on("data", (d) => (err += d));
      child.once("close", (c) => done([c, out, err]));
    });
    if (code !== 0) throw new Error(`weed shell (${commands.join("; ")}) failed (exit ${code}): ${(stdout + stderr).trim().split("\n").slice(-5).join(" | ")}`);
    return stdout;
  }

  /**
   * A bucket for one backend (a database-like use: one per benchmark row), with the durable writes SeaweedFS
   * offers: the filer's path rule `fsync` on the bucket, under which the volume server fsyncs each object's data
   * (in batches that the write waits for) and the filer writes the object's entry to its store (embedded LevelDB)
   * with a synced write. Without the rule both are left to the page cache: `fsync: false` makes such a bucket, for
   * the benchmark's comparison only (a server crash could lose the last checkpoints written).
   */
  async createBucket(name: string, opts: { fsync?: boolean } = {}): Promise<void> {
    // Right after start the filer may not have registered with the master yet: retry for a while.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await this.shell([`s3.bucket.create -name ${name}`]);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    if (opts.fsync === false) return;
    const out = await this.shell([`fs.configure -locationPrefix=/buckets/${name}/ -fsync=true -apply`]);
    if (!/"fsync":\s*true/.test(out)) throw new Error(`fs.configure did not set fsync on /buckets/${name}/: ${out.trim().slice(-300)}`);
  }

  /**
   * The runner's environment for the state in `bucket`: the endpoint and its settings in the URL (path-style
   * requests: no per-bucket host name on loopback), the key pair and the CA in the AWS SDK's own variables.
   */
  env(bucket: string): Record<string, string> {
    return {
      PULUMI_BACKEND_URL: `s3://${bucket}?endpoint=${this.endpoint}&use_path_style=true&region=us-east-1`,
      AWS_ACCESS_KEY_ID: this.accessKey,
      AWS_SECRET_ACCESS_KEY: this.secretKey,
      AWS_CA_BUNDLE: this.caFile,
      // No shared config or credentials file of the machine's user can change what the runner uses.
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
    };
  }

  /** CPU seconds (user + system) the weed process has used so far, from /proc: what the backend costs the server. */
  serverCpuSeconds(): number {
    if (!this.proc?.pid) return 0;
    const stat = readFileSync(`/proc/${this.proc.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(stat[11]) + Number(stat[12])) / 100;
  }

  /** Bytes the weed process has written to disk so far (/proc/<pid>/io write_bytes: data, indexes, filer store, logs). */
  serverWrittenBytes(): number {
    if (!this.proc?.pid) return 0;
    const line = readFileSync(`/proc/${this.proc.pid}/io`, "utf8").split("\n").find((l) => l.startsWith("write_bytes:"));
    return Number(line?.split(/\s+/)[1] ?? 0);
  }

  /** Stops the weed process this object started (by its pid), then removes the gRPC sockets weed made in /tmp. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc?.pid && proc.exitCode === null && proc.signalCode === null) {
      const ended = new Promise((done) => proc.once("exit", done));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await ended;
      clearTimeout(timer);
    }
    // `weed server` names a Unix socket per gRPC port in /tmp, whatever the flags (command/server.go).
    for (const [svc, port] of [["master", this.ports.masterGrpc], ["volume", this.ports.volumeGrpc], ["filer", this.ports.filerGrpc], ["s3", this.ports.s3Grpc]] as const) {
      if (port) rmSync(`/tmp/seaweedfs-${svc}-grpc-${port}.sock`, { force: true });
    }
  }
}
