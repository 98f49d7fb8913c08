// Unmodified EdgeX 4 service binaries (built by scripts/edgex/build.sh into tools/edgex from ../shared/edgex) for
// the EdgeX-layout tests: started with security on, configuration from files only (as ../shared/edgex/README.md
// says: SECRETSTORE_* environment, the token file, `-cd` a copy of the service's res/ folder, `-cc` the common
// configuration, DATABASE_*), on a loopback port, ready once its log says "Service started"; and the tests' client
// (edgex-client: go-mod-secrets unmodified) with the same environment.
import { ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, closeSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { freePort, PROJECT_ROOT } from "./harness";

/** Where scripts/edgex/build.sh puts the binaries (EDGE_EDGEX_BIN overrides). */
export const EDGEX_BIN = process.env.EDGE_EDGEX_BIN ?? join(PROJECT_ROOT, "tools/edgex");

/** Why the EdgeX binaries cannot be used here, or undefined when they can. */
export function edgexBinariesMissing(services: string[] = ["core-keeper", "security-proxy-auth"]): string | undefined {
  for (const name of [...services, "edgex-client"]) {
    if (!existsSync(join(EDGEX_BIN, name))) return `${join(EDGEX_BIN, name)} is absent (npm run setup builds it from ../shared/edgex)`;
  }
  return undefined;
}

/** How a service (or the client) reaches the secret store: go-mod-bootstrap's SECRETSTORE_* settings. */
export interface SecretStoreAccess {
  host: string;
  port: number;
  protocol: "http" | "https";
  /** For https: the CA certificate file (SECRETSTORE_ROOTCACERTPATH). */
  caCertPath?: string;
  /** For https, where the host is not in the certificate (SECRETSTORE_SERVERNAME). */
  serverName?: string;
}

export function secretStoreEnv(store: SecretStoreAccess, tokenFile: string): Record<string, string> {
  return {
    SECRETSTORE_HOST: store.host,
    SECRETSTORE_PORT: String(store.port),
    SECRETSTORE_PROTOCOL: store.protocol,
    ...(store.caCertPath ? { SECRETSTORE_ROOTCACERTPATH: store.caCertPath } : {}),
    ...(store.serverName ? { SECRETSTORE_SERVERNAME: store.serverName } : {}),
    SECRETSTORE_TOKENFILE: tokenFile,
  };
}

/** The environment with nothing EdgeX reads left over from the caller's (config provider, security switches). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(EDGEX_|SECRETSTORE_|DATABASE_|SERVICE_|MESSAGEBUS_|CLIENTS_|WRITABLE_)/.test(k)));
}

export interface EdgexServiceOptions {
  /** A folder under cmd/ of edgex-go that the build produced, e.g. core-keeper, security-proxy-auth. */
  service: string;
  /** Where the copied res/ folder and the log go (created). */
  workDir: string;
  store: SecretStoreAccess;
  tokenFile: string;
  database: { host: string; port: number; name?: string };
  /** core-keeper's message bus is switched off in the copied configuration until the node has a broker. */
  messageBusDisabled?: boolean;
  /** Extra settings (e.g. CLIENTS_SECURITY_PROXY_AUTH_PORT). */
  env?: Record<string, string>;
}

const STARTED = /Service started in:/;

export class EdgexService {
  port = 0;
  private proc?: ChildProcess;
  private exited?: string;
  readonly logFile: string;
  private readonly resDir: string;

  constructor(readonly opts: EdgexServiceOptions) {
    this.logFile = join(opts.workDir, `${opts.service}.log`);
    this.resDir = join(opts.workDir, `${opts.service}.res`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "";
  }

  /**
   * Starts the binary (a fresh copy of its res/ folder each time) and waits for "Service started" in the log of
   * this start; rejects with the log's tail when it exits first or the time runs out.
   */
  async start(timeoutMs = 120_000): Promise<void> {
    if (this.proc) throw new Error(`${this.opts.service} is already running`);
    if (this.port === 0) this.port = await freePort();
    const { service, workDir, store, tokenFile, database } = this.opts;
    mkdirSync(workDir, { recursive: true });
    cpSync(join(EDGEX_BIN, `${service}.res`), this.resDir, { recursive: true });
    if (this.opts.messageBusDisabled) {
      const file = join(this.resDir, "configuration.yaml");
      const doc = parseDocument(readFileSync(file, "utf8"));
      doc.setIn(["MessageBus", "Disabled"], true);
      writeFileSync(file, doc.toString());
    }
    const env: NodeJS.ProcessEnv = {
      ...cleanEnv(),
      ...secretStoreEnv(store, tokenFile),
      SERVICE_HOST: "127.0.0.1",
      SERVICE_PORT: String(this.port),
      DATABASE_HOST: database.host,
      DATABASE_PORT: String(database.port),
      ...(database.name ? { EDGEX_DBNAME: database.name } : {}),
      EDGEX_STARTUP_DURATION: String(Math.ceil(timeoutMs / 1000)),
      // core-metadata's units of measure: its res/ copy (the default ./res/uom.yaml is relative to a container's folder).
      ...(existsSync(join(this.resDir, "uom.yaml")) ? { UOM_UOMFILE: join(this.resDir, "uom.yaml") } : {}),
      ...this.opts.env,
    };
    const args = ["-cd", this.resDir];
    const common = join(EDGEX_BIN, "common-configuration.yaml");
    if (service !== "core-keeper") args.push("-cc", common);
    const before = this.log().length;
    const fd = openSync(this.logFile, "a");
    this.exited = undefined;
    // Its own folder as the working directory: core-metadata reads ./res/uom.yaml.
    const proc = spawn(join(EDGEX_BIN, service), args, { cwd: workDir, env, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    this.proc = proc;
    proc.on("exit", (code, signal) => {
      this.exited = `exited (${signal ?? code})`;
      if (this.proc === proc) this.proc = undefined;
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = this.log().slice(before);
      if (STARTED.test(log)) return;
      if (this.exited || Date.now() > deadline) {
        await this.stop();
        throw new Error(`${service} ${this.exited ?? `did not start within ${timeoutMs} ms`}; its log:\n${log.split("\n").slice(-25).join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGTERM (EdgeX services shut down on it), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      proc.once("exit", () => {
        clearTimeout(timer);
        done();
      });
      proc.kill("SIGTERM");
    });
    this.proc = undefined;
  }
}

export interface ClientResult {
  ok: boolean;
  error?: string;
  secret?: Record<string, string>;
  jwt?: string;
  valid?: boolean;
  status?: number;
  body?: string;
}

/**
 * Runs edgex-client (go-mod-secrets, unmodified) as `service`, with the token file and store settings a service
 * gets: `secret <name>`, `store <name> k=v...`, `jwt`, `valid <jwt>`, `call <url> [self|none|<jwt>]`.
 */
export function edgexClient(service: string, store: SecretStoreAccess, tokenFile: string, ...args: string[]): Promise<ClientResult> {
  return new Promise((done) => {
    execFile(join(EDGEX_BIN, "edgex-client"), [service, ...args], { env: { ...cleanEnv(), ...secretStoreEnv(store, tokenFile) }, encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1);
      done(line ? (JSON.parse(line) as ClientResult) : { ok: false, error: `edgex-client: ${err?.message ?? "no result"} ${stderr} ${stdout}`.trim() });
    });
  });
}
