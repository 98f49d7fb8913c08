// Runs the real node stack (runner -> Automation API -> real Pulumi CLI) in a temp project folder with its
// own file backend and secrets root, and reads results back with real tools.
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stackMarker } from "../../bin/run-processes";

export const PROJECT_ROOT = resolve(__dirname, "../..");
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
}

export class TestNode {
  readonly root = mkdtempSync(join(tmpdir(), "edge-it-"));
  readonly projectDir = join(this.root, "project");
  readonly secretsRoot = join(this.root, "run", "secrets");
  private readonly backend = join(this.root, "state");

  constructor(readonly stack: string) {
    // mkdtemp makes the folder 0700; services' uids must be able to traverse down to their own folder.
    chmodSync(this.root, 0o755);
    mkdirSync(join(this.projectDir, "stacks"), { recursive: true });
    mkdirSync(this.backend);
    // The project file as the runner needs it: the program itself is served by the runner (inline).
    writeFileSync(join(this.projectDir, "Pulumi.yaml"), "name: edge-security\nruntime: nodejs\nstackConfigDir: stacks\n");
    // The dynamic-provider host runs in this folder and loads @pulumi/pulumi, tsx and the clients from here.
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(this.projectDir, "node_modules"));
  }

  private get stackFile(): string {
    return join(this.projectDir, "stacks", `Pulumi.${this.stack}.yaml`);
  }

  private get cliEnv(): NodeJS.ProcessEnv {
    return { ...process.env, PULUMI_BACKEND_URL: `file://${this.backend}`, PULUMI_CONFIG_PASSPHRASE: "integration-test", PULUMI_CONFIG_PASSPHRASE_FILE: "", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_HOME: join(PROJECT_ROOT, "tools/pulumi-home") };
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
    return execFileSync(join(PROJECT_ROOT, "tools/bin/pulumi"), [...args, "--cwd", this.projectDir], { encoding: "utf8", env: this.cliEnv, stdio: ["ignore", "pipe", "pipe"] });
  }

  /** Stack outputs, secrets shown as "[secret]". */
  outputs(): Record<string, any> {
    return JSON.parse(this.pulumi("stack", "output", "--json", "--stack", this.stack));
  }

  /** What the runner marks every process of a run of this stack with (EDGE_RUN_ID starts with it): bin/run-processes.ts. */
  get runMarker(): string {
    return stackMarker(this.stack, this.projectDir, `file://${this.backend}`);
  }

  /** Starts the runner in its own process group (to be killed as a whole), with extra environment. */
  spawnRun(command: "up" | "preview", env: Record<string, string>): ChildProcess {
    return spawn(TSX, [RUNNER, command, "--stack", this.stack, "--cwd", this.projectDir], { env: { ...this.cliEnv, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  }

  /** `pulumi config set --secret --path edge-security:<path>` with the real CLI, the value on stdin (creates the stack first). */
  setSecretConfig(path: string, value: string): void {
    this.pulumi("stack", "select", "--create", this.stack, "--secrets-provider", "passphrase");
    execFileSync(join(PROJECT_ROOT, "tools/bin/pulumi"), ["config", "set", "--secret", "--path", `edge-security:${path}`, "--stack", this.stack, "--cwd", this.projectDir], { env: this.cliEnv, input: value, stdio: ["pipe", "pipe", "pipe"] });
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

/** A loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
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
