// Runs the real node stack (runner -> Automation API -> real Pulumi CLI) in a temp project folder with its
// own file backend and secrets root, and reads results back with real tools.
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

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

  /** Writes the stack config (JSON is valid YAML); keys are given without the namespace. Keeps the secrets' salt. */
  configure(config: Record<string, unknown>): void {
    const namespaced = Object.fromEntries(Object.entries({ secretsRoot: this.secretsRoot, ...config }).map(([k, v]) => [`edge-security:${k}`, v]));
    const salt = /^encryptionsalt: (.+)$/m.exec(existsSync(this.stackFile) ? readFileSync(this.stackFile, "utf8") : "")?.[1];
    writeFileSync(this.stackFile, JSON.stringify({ config: namespaced, ...(salt ? { encryptionsalt: salt } : {}) }, null, 2));
  }

  /** `pulumi config set --secret --path edge-security:<path>` with the real CLI, the value on stdin (creates the stack first). */
  setSecretConfig(path: string, value: string): void {
    const env = this.cliEnv();
    if (!this.stackExists()) execFileSync(join(PROJECT_ROOT, "tools/bin/pulumi"), ["stack", "init", this.stack, "--secrets-provider", "passphrase", "--no-select", "--cwd", this.projectDir], { env, stdio: "pipe" });
    execFileSync(join(PROJECT_ROOT, "tools/bin/pulumi"), ["config", "set", "--secret", "--path", `edge-security:${path}`, "--stack", this.stack, "--cwd", this.projectDir], { env, input: value, stdio: ["pipe", "pipe", "pipe"] });
  }

  private stackExists(): boolean {
    const list = execFileSync(join(PROJECT_ROOT, "tools/bin/pulumi"), ["stack", "ls", "--json", "--cwd", this.projectDir], { env: this.cliEnv(), encoding: "utf8" });
    return (JSON.parse(list) as { name: string }[]).some((s) => s.name === this.stack);
  }

  private cliEnv(): NodeJS.ProcessEnv {
    return { ...process.env, PULUMI_BACKEND_URL: `file://${this.backend}`, PULUMI_CONFIG_PASSPHRASE: "integration-test", PULUMI_CONFIG_PASSPHRASE_FILE: "", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_HOME: join(PROJECT_ROOT, "tools/pulumi-home") };
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
          env: { ...process.env, PULUMI_BACKEND_URL: `file://${this.backend}`, PULUMI_CONFIG_PASSPHRASE: "integration-test", PULUMI_CONFIG_PASSPHRASE_FILE: "" },
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
    return execFileSync(join(PROJECT_ROOT, "tools/bin/pulumi"), ["stack", "export", "--stack", this.stack, "--cwd", this.projectDir, ...(opts.showSecrets ? ["--show-secrets"] : [])], {
      encoding: "utf8",
      env: { ...process.env, PULUMI_BACKEND_URL: `file://${this.backend}`, PULUMI_CONFIG_PASSPHRASE: "integration-test", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_HOME: join(PROJECT_ROOT, "tools/pulumi-home") },
    });
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
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
