// Runs the real node stack in a temp project folder with its own file backend and secrets root, and reads results
// back with real tools: `cli()` types `pulumi up` etc. in the folder (the CLI runs index.ts through the language
// host), `run()` goes through the runner (bin/edge-node.ts -> Automation API -> the same CLI).
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { stackMarker } from "../../bin/run-processes";

export const PROJECT_ROOT = resolve(__dirname, "../..");

/**
 * The Node.js language host a CLI run gets, by the folder its `pulumi` is typed from: "official" is tools/stock, laid
 * out as a stock Pulumi install (the CLI with Pulumi's official host next to it, built from ../shared by
 * scripts/go/language-nodejs/build.sh); "project" is tools/bin (the set-up's CLI with the project's own host,
 * bin/language-host.ts, for machines where no official one exists). The CLI takes the host next to its own
 * executable, after PATH, so the folder also goes first on PATH.
 */
export type HostKind = "official" | "project";
export const HOST_DIRS: Record<HostKind, string> = { official: join(PROJECT_ROOT, "tools/stock"), project: join(PROJECT_ROOT, "tools/bin") };

/** Whether the set-up built the official host (it does where ../shared is present). */
export const OFFICIAL_HOST_BUILT = existsSync(join(HOST_DIRS.official, "pulumi-language-nodejs"));

/** The host of the CLI runs of every test that does not choose: EDGE_TEST_HOST, else the official one where built. */
export const DEFAULT_HOST: HostKind = (process.env.EDGE_TEST_HOST as HostKind | undefined) ?? (OFFICIAL_HOST_BUILT ? "official" : "project");
const TSX = join(PROJECT_ROOT, "node_modules/.bin/tsx");
const RUNNER = join(PROJECT_ROOT, "bin/edge-node.ts");

export interface Step {
  op: string;
  type: string;
  name: string;
  keys: string[];
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  changeSummary: Record<string, number>;
  steps: Step[];
  /** The CLI's child processes seen during the run (cli() with `children`). */
  children?: string[];
}

export class TestNode {
  readonly root = mkdtempSync(join(tmpdir(), "edge-it-"));
  readonly projectDir: string;
  readonly secretsRoot = join(this.root, "run", "secrets");
  /** The file backend's folder (the backend unless backendEnv names another one). */
  readonly backend: string;
  /** The state backend's settings when it is not the folder's file backend (PULUMI_BACKEND_URL, PGPASSFILE, ...). */
  backendEnv: Record<string, string> = {};

  /**
   * `sameProjectAs`: another stack of the same project and backend (a fleet: the org stack and its node stacks read
   * each other through StackReferences), with its own secrets root. Clean it up before the one it shares with. A
   * FleetProject's folder serves too (an org stack typed with the CLI beside node stacks the fleet command runs).
   */
  constructor(readonly stack: string, sameProjectAs?: { projectDir: string; backend: string }) {
    // mkdtemp makes the folder 0700; services' uids must be able to traverse down to their own folder.
    chmodSync(this.root, 0o755);
    this.projectDir = sameProjectAs?.projectDir ?? join(this.root, "project");
    this.backend = sameProjectAs?.backend ?? join(this.root, "state");
    if (sameProjectAs) return;
    mkdirSync(join(this.projectDir, "stacks"), { recursive: true });
    mkdirSync(this.backend);
    // The project's own Pulumi.yaml, index.ts and package.json: `pulumi up` in this folder runs the real program
    // (CLI mode), and the runner serves the same program inline (runner mode).
    writeFileSync(join(this.projectDir, "Pulumi.yaml"), readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));
    for (const f of ["index.ts", "package.json"]) symlinkSync(join(PROJECT_ROOT, f), join(this.projectDir, f));
    // The dynamic-provider host runs in this folder and loads @pulumi/pulumi, tsx and the clients from here.
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(this.projectDir, "node_modules"));
  }

  private get stackFile(): string {
    return join(this.projectDir, "stacks", `Pulumi.${this.stack}.yaml`);
  }

  /**
   * The node's file backend, with gocloud's fileblob told not to write its `.attrs` sidecars: it rewrites a blob's
   * sidecar in place (os.Create, then write) before renaming the new blob over the old, so a CLI killed in between
   * leaves an empty sidecar and every later read of the stack fails with `failed to load checkpoint: EOF` (seen in
   * a kill trial). The blob itself is written atomically (temp file, rename).
   */
  get backendUrl(): string {
    return `file://${this.backend}?metadata=skip`;
  }

  /** The language host of this node's CLI runs (see HostKind). */
  host: HostKind = DEFAULT_HOST;

  private get cliBinary(): string {
    return join(HOST_DIRS[this.host], "pulumi");
  }

  private get cliEnv(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: [HOST_DIRS[this.host], process.env.PATH].join(delimiter), PULUMI_BACKEND_URL: this.backendUrl, PULUMI_CONFIG_PASSPHRASE: "integration-test", PULUMI_CONFIG_PASSPHRASE_FILE: "", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_HOME: join(PROJECT_ROOT, "tools/pulumi-home"), ...this.backendEnv };
  }

  /**
   * Writes the stack config (JSON is valid YAML); keys are given without the namespace. `secrets` are set with
   * the real CLI (`config set --secret`), encrypted with the stack's passphrase.
   */
  configure(config: Record<string, unknown>, secrets: Record<string, string> = {}): void {
    const namespaced = Object.fromEntries(Object.entries({ secretsRoot: this.secretsRoot, ...config }).map(([k, v]) => [`edge-security:${k}`, v]));
    // Keep the stack's encryption salt: without it the stack's secrets could not be read.
    const salt = existsSync(this.stackFile) ? /^\s*"?encryptionsalt"?: "?([^"\s]+)"?,?$/m.exec(readFileSync(this.stackFile, "utf8"))?.[1] : undefined;
    writeFileSync(this.stackFile, JSON.stringify({ config: namespaced, ...(salt ? { encryptionsalt: salt } : {}) }, null, 2));
    if (Object.keys(secrets).length === 0) return;
    for (const [k, v] of Object.entries(secrets)) this.setSecretConfig(k, v);
  }

  /** The real CLI in this project, with its own backend and passphrase. */
  pulumi(...args: string[]): string {
    return execFileSync(this.cliBinary, [...args, "--cwd", this.projectDir], { encoding: "utf8", env: this.cliEnv, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
  }

  /** Stack outputs, secrets shown as "[secret]". */
  outputs(): Record<string, any> {
    return JSON.parse(this.pulumi("stack", "output", "--json", "--stack", this.stack));
  }

  /** What the runner marks every process of a run of this stack with (EDGE_RUN_ID starts with it): bin/run-processes.ts. */
  get runMarker(): string {
    return stackMarker(this.stack, this.projectDir, this.backendUrl);
  }

  /** Starts the runner in its own process group (to be killed as a whole), with extra environment. */
  spawnRun(command: "up" | "preview", env: Record<string, string>): ChildProcess {
    return spawn(TSX, [RUNNER, command, "--stack", this.stack, "--cwd", this.projectDir], { env: { ...this.cliEnv, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  }

  /**
   * Starts a plain `pulumi <command>` typed in the project folder (no runner), in its own process group, with the
   * `--diff` display the runner shows (its progress lines); `clean` as for cli(); `env`: extra environment.
   */
  spawnCli(command: "up" | "preview", opts: { clean?: boolean; env?: Record<string, string> } = {}): ChildProcess {
    if (!opts.clean) this.pulumi("stack", "select", "--create", this.stack, "--secrets-provider", "passphrase");
    const args = [command, "--stack", this.stack, "--non-interactive", "--color", "never", "--diff", ...(command === "up" ? ["--yes", "--skip-preview"] : [])];
    return spawn(this.cliBinary, args, { cwd: this.projectDir, env: { ...(opts.clean ? this.cleanEnv() : { ...this.cliEnv, ...CLI_ENV }), ...opts.env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  }

  /** `pulumi config set --secret --path edge-security:<path>` with the real CLI, the value on stdin (creates the stack first). */
  setSecretConfig(path: string, value: string): void {
    this.pulumi("stack", "select", "--create", this.stack, "--secrets-provider", "passphrase");
    execFileSync(this.cliBinary, ["config", "set", "--secret", "--path", `edge-security:${path}`, "--stack", this.stack, "--cwd", this.projectDir], { env: this.cliEnv, input: value, stdio: ["pipe", "pipe", "pipe"] });
  }

  /** Runs the runner asynchronously: a long synchronous child would block the test worker's event loop. */
  async run(command: "up" | "preview" | "refresh" | "destroy", extraArgs: string[] = []): Promise<RunResult> {
    const summaryFile = join(this.root, "summary.json");
    rmSync(summaryFile, { force: true });
    const proc = await new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
      execFile(
        TSX,
        [RUNNER, command, "--stack", this.stack, "--cwd", this.projectDir, "--summary", summaryFile, ...extraArgs],
        {
          encoding: "utf8",
          env: this.cliEnv,
          timeout: 600_000,
          maxBuffer: 256 * 1024 * 1024,
        },
        (err, stdout, stderr) => done({ status: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    let summary = { changeSummary: {}, steps: [] };
    try {
      summary = JSON.parse(readFileSync(summaryFile, "utf8"));
    } catch {
      // no summary: the command failed before the engine ran
    }
    return { ...proc, ...summary };
  }

  /**
   * `pulumi <command> --stack S --yes` typed in the project folder, as a user would: the CLI runs index.ts through
   * the language host next to it. Steps and the change summary come from the CLI's own engine event log.
   * `clean`: from a clean environment, as `env -i` gives it: only PATH (the CLI's folder, node's, the system folders of a root shell),
   * a HOME of its own and Pulumi's own settings (backend, passphrase, no update check, the debug switch of
   * `--event-log`): nothing of scripts/env.sh. `children`: records the CLI's child processes (RunResult.children).
   */
  async cli(command: "up" | "preview" | "refresh" | "destroy", extraArgs: string[] = [], env: Record<string, string> = {}, opts: { clean?: boolean; children?: boolean } = {}): Promise<RunResult> {
    // A user makes the stack once (`pulumi stack init`; a clean run's test does that itself); the runner's
    // Automation API does it on every run.
    if (!opts.clean) this.pulumi("stack", "select", "--create", this.stack, "--secrets-provider", "passphrase");
    const eventLog = join(this.root, "events.jsonl");
    rmSync(eventLog, { force: true });
    const args = [command, "--stack", this.stack, "--non-interactive", "--color", "never", "--event-log", eventLog, ...(command === "preview" ? [] : ["--yes", "--skip-preview"]), ...extraArgs];
    const runEnv = opts.clean ? { ...this.cleanEnv(), ...env } : { ...this.cliEnv, ...CLI_ENV, ...env };
    const children = new Map<number, string>();
    let watch: NodeJS.Timeout | undefined;
    const proc = await new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
      const child = execFile(this.cliBinary, args, { cwd: this.projectDir, encoding: "utf8", env: runEnv, timeout: 1_800_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) =>
        done({ status: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
      );
      if (opts.children && child.pid) watch = setInterval(() => childProcesses(child.pid!).forEach((p) => children.set(p.pid, p.command)), 200);
    });
    clearInterval(watch);
    return { ...proc, ...eventSummary(existsSync(eventLog) ? readFileSync(eventLog, "utf8") : ""), children: [...children.values()] };
  }

  /** A clean environment for the CLI (see cli()): what a plain shell with a stock Pulumi install and nothing sourced has. */
  cleanEnv(): NodeJS.ProcessEnv {
    const home = join(this.root, "home");
    mkdirSync(home, { recursive: true });
    return {
      PATH: [HOST_DIRS[this.host], dirname(process.execPath), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(delimiter),
      HOME: home,
      PULUMI_BACKEND_URL: this.backendUrl,
      PULUMI_CONFIG_PASSPHRASE: "integration-test",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DEBUG_COMMANDS: "true",
    };
  }

  /** `pulumi stack export` with the real CLI; `showSecrets` decrypts the secrets (`--show-secrets`). */
  exportState(opts: { showSecrets?: boolean } = {}): string {
    return this.pulumi("stack", "export", "--stack", this.stack, ...(opts.showSecrets ? ["--show-secrets"] : []));
  }

  /** A resource's outputs as the state holds them (secrets stay ciphertext). */
  stateOutputs(name: string): Record<string, any> {
    const found = JSON.parse(this.exportState()).deployment.resources.filter((r: { urn: string }) => r.urn.endsWith(`::${name}`));
    if (found.length !== 1) throw new Error(`${found.length} resources named ${name} in the state`);
    return found[0].outputs;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * What the CLI gets beyond the stack's settings: no NODE_OPTIONS (the project needs none: Pulumi.yaml gives the
 * program and the provider host their loader, so a test cannot pass on a loader a user's shell would lack), no
 * plugin download, and the debug commands switch that enables `--event-log` (as the Automation API sets it).
 */
const CLI_ENV = {
  NODE_OPTIONS: "",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  PULUMI_DEBUG_COMMANDS: "true",
};

/** The child processes of `pid` now, each as `<executable> <arguments>` (Linux: /proc). */
export function childProcesses(pid: number): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1]) !== pid) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      found.push({ pid: Number(entry), command: [readlinkSync(`/proc/${entry}/exe`), ...argv.slice(1)].join(" ") });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The language host among a run's child processes: the official one (a Go binary) or the project's (node on bin/language-host.ts). */
export function languageHostOf(result: RunResult): HostKind | undefined {
  const host = result.children?.find((c) => /pulumi-language-nodejs|language-host\.ts/.test(c));
  if (!host) return undefined;
  return host.startsWith(join(HOST_DIRS.official, "pulumi-language-nodejs")) ? "official" : host.includes(join(PROJECT_ROOT, "bin/language-host.ts")) ? "project" : undefined;
}

/** The steps other than "same" and the change summary of one run, from the engine's event log (JSON lines). */
export function eventSummary(log: string): { changeSummary: Record<string, number>; steps: Step[] } {
  const steps: Step[] = [];
  let changeSummary: Record<string, number> = {};
  for (const line of log.split("\n")) {
    if (!line.trim()) continue;
    const event = JSON.parse(line);
    const meta = event.resourcePreEvent?.metadata;
    if (meta && meta.op !== "same" && meta.type !== "pulumi:pulumi:Stack") steps.push({ op: meta.op, type: meta.type, name: meta.urn.split("::").pop(), keys: meta.keys ?? [] });
    if (event.summaryEvent) changeSummary = event.summaryEvent.resourceChanges ?? {};
  }
  return { changeSummary, steps };
}

/** Where the kernel's ephemeral range starts: it picks from there for a listen on port 0 and every outgoing connection. */
function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 1024) return low;
  } catch {
    // not Linux: the usual default
  }
  return 32768;
}

/** freePort() draws below the ephemeral range, from FIRST_PORT up, in WORKER_SLICES slices, one per test worker. */
const FIRST_PORT = 10_000;
const WORKER_SLICES = 8;
const handedOut = new Set<number>();

function bindsNow(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const server = createServer();
    server.once("error", () => answer(false));
    server.listen(port, "127.0.0.1", () => server.close(() => answer(true)));
  });
}

/**
 * A loopback TCP port that is free now and that nothing else should take before the test's server binds it, which
 * can be minutes later (etcd and OpenBao start once the stack writes their readiness file). The kernel's own pick
 * (a listen on port 0) comes from its ephemeral range, which every other listen on port 0 of the machine draws from
 * too: the Pulumi CLI's, language host's and provider hosts' gRPC servers, and other test files' servers. A port
 * taken there leaves the late server unable to bind and the stack waiting for it until its timeout (the likely
 * cause of a CI failure here, where the crash trial's etcd never answered; its log was not kept then). So the port
 * comes from below that range, from a slice of its own per test worker (parallel test files never draw the same
 * one), never twice in a process, and checked free. Where that range starts too low to leave room, the kernel picks.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralRangeStart();
  const sliceSize = Math.floor((low - FIRST_PORT) / WORKER_SLICES);
  const worker = Number(process.env.VITEST_POOL_ID ?? 0) % WORKER_SLICES;
  const sliceStart = FIRST_PORT + worker * sliceSize;
  if (sliceSize < 100) return kernelPickedPort();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = sliceStart + Math.floor(Math.random() * sliceSize);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await bindsNow(port)) return port;
  }
  throw new Error(`freePort: no free loopback port in ${sliceStart}-${sliceStart + sliceSize - 1} (below the ephemeral range from ${low}) after 100 tries`);
}

function kernelPickedPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** The ports refusingPort() tries, in order: well-known services no test machine of ours runs. */
const LOW_PORTS = [1, 9, 19, 49, 79, 98, 113, 119, 401, 701];

/**
 * A loopback port where nothing listens, for the tests of "connection refused": a low port (below 1024) that refuses
 * a connection now. Why not freePort(): a port it returns can be taken by a server of a test file running in
 * parallel before the test dials it (seen here: ERR_SSL_WRONG_VERSION_NUMBER where ECONNREFUSED was expected); the
 * servers of these tests listen only on ports freePort() draws, never below 1024.
 */
export async function refusingPort(): Promise<number> {
  for (const port of LOW_PORTS) {
    const refused = await new Promise<boolean>((answer) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        answer(false);
      });
      socket.once("error", (err: NodeJS.ErrnoException) => answer(err.code === "ECONNREFUSED"));
    });
    if (refused) return port;
  }
  throw new Error(`no low loopback port refuses connections on this machine (tried ${LOW_PORTS.join(", ")})`);
}

export function openssl(...args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The names of the resources a run would change, other than "same". */
export function changedNames(result: RunResult): string[] {
  return [...new Set(result.steps.map((s) => s.name))].sort();
}

export function expectOk(result: RunResult): RunResult {
  if (result.status !== 0) throw new Error(`run failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result;
}
