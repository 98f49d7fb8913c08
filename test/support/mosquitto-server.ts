// The test's own MQTT broker (Debian's mosquitto), started through scripts/servers/mosquitto.sh on a free loopback
// port as the demo does, and mosquitto_pub/mosquitto_sub (the real clients) with a username and password.
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT, TestNode } from "./harness";

const SCRIPT = join(PROJECT_ROOT, "scripts/servers/mosquitto.sh");

export class MosquittoServer {
  constructor(
    readonly node: TestNode,
    readonly port: number,
    readonly service = "mqtt-broker",
    readonly tls = true,
  ) {}

  get stateDir(): string {
    return join(this.node.root, "servers/mosquitto");
  }

  get pidFile(): string {
    return join(this.stateDir, "pid");
  }

  get logFile(): string {
    return join(this.stateDir, "server.log");
  }

  log(): string {
    try {
      return readFileSync(this.logFile, "utf8");
    } catch {
      return "";
    }
  }

  /** For a failure message: the broker's status, its folder's files and its log's end. */
  describe(): string {
    let status: string;
    try {
      status = execFileSync("bash", [SCRIPT, "status"], { env: this.env, encoding: "utf8" });
    } catch (err) {
      status = String((err as { stdout?: string }).stdout ?? err);
    }
    let files: string[] = [];
    try {
      files = readdirSync(join(this.node.secretsRoot, this.service));
    } catch {
      files = ["(no folder)"];
    }
    return `${status.trim()}; its folder: ${files.join(" ")}; its log: ${this.log().slice(-1500)}`;
  }

  private get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      EDGE_SECRETS_ROOT: this.node.secretsRoot,
      EDGE_SERVER_STATE_DIR: join(this.node.root, "servers"),
      EDGE_MOSQUITTO_SERVICE: this.service,
      EDGE_MOSQUITTO_PORT: String(this.port),
      EDGE_MOSQUITTO_TLS: this.tls ? "1" : "0",
      EDGE_SERVER_WAIT_SECONDS: "600",
    };
  }

  /** Returns at once; the broker starts once its folder's readiness file (and password file, ACL) exist. */
  start(): void {
    execFileSync("bash", [SCRIPT, "start"], { env: this.env, stdio: "pipe" });
  }

  stop(): void {
    execFileSync("bash", [SCRIPT, "stop"], { env: this.env, stdio: "pipe" });
  }

  private calls = 0;

  /**
   * What mosquitto_pub/sub need to reach this broker as `username` (TLS checked against the node CA): the address on
   * the command line, the username and password in the clients' own options file ($XDG_CONFIG_HOME/mosquitto_pub|sub,
   * 0600), so the password is in no process list.
   */
  private client(username: string, password: string): { args: string[]; env: NodeJS.ProcessEnv } {
    const dir = join(this.node.root, `mqtt-client-${++this.calls}`);
    mkdirSync(dir, { mode: 0o700, recursive: true });
    for (const tool of ["mosquitto_pub", "mosquitto_sub"]) writeFileSync(join(dir, tool), `-u ${username}\n-P ${password}\n`, { mode: 0o600 });
    const tls = this.tls ? ["--cafile", join(this.node.secretsRoot, "ca.pem")] : [];
    return { args: ["-h", "127.0.0.1", "-p", String(this.port), ...tls], env: { ...process.env, XDG_CONFIG_HOME: dir } };
  }

  /** Publishes one message; resolves with the exit status and stderr (never throws). */
  publish(username: string, password: string, topic: string, message: string): Promise<{ ok: boolean; stderr: string }> {
    return new Promise((done) =>
    {
      const { args, env } = this.client(username, password);
      execFile("mosquitto_pub", [...args, "-t", topic, "-m", message], { env, encoding: "utf8", timeout: 20_000 }, (err, _out, stderr) => done({ ok: !err, stderr }));
    });
  }

  /**
   * Subscribes to `topic` and collects messages (`-v`: "topic payload" lines) until `count` arrived or `ms` passed.
   * `ready` resolves once the subscription is in place (the client logged its SUBACK with -d).
   */
  subscribe(username: string, password: string, topic: string, count: number, ms: number): { ready: Promise<void>; messages: Promise<{ ok: boolean; lines: string[]; stderr: string }> } {
    const { args, env } = this.client(username, password);
    // Line-buffered (stdbuf): its output is a pipe here, so SUBACK and each message are seen as they come.
    const proc = spawn("stdbuf", ["-oL", "mosquitto_sub", ...args, "-t", topic, "-v", "-d", "-C", String(count), "-W", String(Math.ceil(ms / 1000))], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let markReady: () => void = () => {};
    const ready = new Promise<void>((r) => (markReady = r));
    proc.stdout.on("data", (d) => {
      out += d;
      if (out.includes("SUBACK")) markReady();
    });
    proc.stderr.on("data", (d) => (err += d));
    const messages = new Promise<{ ok: boolean; lines: string[]; stderr: string }>((done) =>
      proc.on("exit", (code) => {
        markReady();
        done({ ok: code === 0, lines: out.split("\n").filter((l) => l.startsWith(topic.replace(/[#+].*$/, ""))), stderr: err + out.split("\n").filter((l) => /error|refused|not authori/i.test(l)).join("\n") });
      }),
    );
    return { ready, messages };
  }
}

export type { TestNode };
