// One temp project folder holding many node stacks (one stack config file each, each with its own secrets root)
// and its own file backend, driven by the fleet command (bin/fleet.ts) as an operator types it. The fleet test
// and bench/fleet.ts use it.
import { ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackMarker } from "../../bin/run-processes";
import { PROJECT_ROOT } from "./harness";

const TSX = join(PROJECT_ROOT, "node_modules/.bin/tsx");
const FLEET = join(PROJECT_ROOT, "bin/fleet.ts");

export interface FleetNodeReport {
  stack: string;
  result: string;
  changes: Record<string, number> | null;
  changeCount: number;
  resources: number | null;
  seconds: number | null;
  error: string | null;
  convergedIn: string | null;
  /** Shared backend: the runner that ran the node, when another one did. */
  runner: string | null;
}

export interface FleetReportJson {
  runId: string;
  command: string;
  outcome: "completed" | "interrupted";
  journal: string;
  logs: string;
  nodes: FleetNodeReport[];
}

export interface FleetResult {
  status: number;
  stdout: string;
  stderr: string;
  /** The --json report (undefined when the run failed before it, or without --json). */
  report?: FleetReportJson;
}

export class FleetProject {
  readonly root = mkdtempSync(join(tmpdir(), "edge-fleet-"));
  readonly projectDir = join(this.root, "project");
  readonly backend = join(this.root, "state");
  /** The state backend when it is not the project's file backend (PULUMI_BACKEND_URL, PGPASSFILE, ...). */
  backendEnv: Record<string, string> = {};
  /** Where the nodes' secrets roots are: this project's, or (a second runner's copy of a fleet) the first one's. */
  private readonly nodesRoot: string;
  /** A home of its own (HOME, PULUMI_HOME), as a runner on another machine has. */
  readonly ownHome: boolean;

  /** `nodesOf`: another runner's project of the same fleet (the same nodes); this one gets its own folder and home. */
  constructor(opts: { nodesOf?: FleetProject } = {}) {
    this.nodesRoot = opts.nodesOf?.nodesRoot ?? join(this.root, "nodes");
    this.ownHome = opts.nodesOf !== undefined;
    // mkdtemp makes the folder 0700; services' uids must be able to traverse down to their own folder.
    chmodSync(this.root, 0o755);
    mkdirSync(join(this.projectDir, "stacks"), { recursive: true });
    mkdirSync(this.backend);
    writeFileSync(join(this.projectDir, "Pulumi.yaml"), readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));
    for (const f of ["index.ts", "package.json"]) symlinkSync(join(PROJECT_ROOT, f), join(this.projectDir, f));
    // The dynamic-provider hosts run in this folder and load @pulumi/pulumi, tsx and the clients from here.
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(this.projectDir, "node_modules"));
  }

  secretsRoot(stack: string): string {
    return join(this.nodesRoot, stack, "secrets");
  }

  /** Writes a node's stack config file (JSON is valid YAML); keys without the namespace. */
  addNode(stack: string, config: Record<string, unknown>): void {
    const file = join(this.projectDir, "stacks", `Pulumi.${stack}.yaml`);
    const namespaced = Object.fromEntries(Object.entries({ secretsRoot: this.secretsRoot(stack), ...config }).map(([k, v]) => [`edge-security:${k}`, v]));
    // Keep the encryption salt the stack's first run wrote: without it the stack's secrets could not be read.
    const salt = existsSync(file) ? /^\s*"?encryptionsalt"?: "?([^"\s]+)"?,?$/m.exec(readFileSync(file, "utf8"))?.[1] : undefined;
    writeFileSync(file, JSON.stringify({ config: namespaced, ...(salt ? { encryptionsalt: salt } : {}) }, null, 2));
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, PULUMI_BACKEND_URL: `file://${this.backend}`, PULUMI_CONFIG_PASSPHRASE: "fleet-test", PULUMI_CONFIG_PASSPHRASE_FILE: "", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_HOME: join(PROJECT_ROOT, "tools/pulumi-home"), ...(this.ownHome ? { HOME: join(this.root, "home"), PULUMI_HOME: join(this.root, "home", ".pulumi") } : {}), ...this.backendEnv };
  }

  /** What marks every process of a run of `stack` (bin/run-processes.ts). */
  runMarker(stack: string): string {
    return stackMarker(stack, this.projectDir, this.env.PULUMI_BACKEND_URL!);
  }

  /** Starts the fleet command in this project (its own process group), stdout and stderr piped. */
  spawn(args: string[]): ChildProcess {
    return spawn(TSX, [FLEET, ...args, "--cwd", this.projectDir], { env: this.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  }

  /** Runs the fleet command to its end (asynchronously: a long synchronous child would block the test worker). */
  async run(args: string[]): Promise<FleetResult> {
    const proc = await new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
      execFile(TSX, [FLEET, ...args, "--cwd", this.projectDir], { encoding: "utf8", env: this.env, timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
        done({ status: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    return { ...proc, report: parseReport(proc.stdout) };
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function parseReport(stdout: string): FleetReportJson | undefined {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

/** The report's node entries by stack name. */
export function byStack(report: FleetReportJson): Record<string, FleetNodeReport> {
  return Object.fromEntries(report.nodes.map((n) => [n.stack, n]));
}

/** The most nodes that ran at once, read from the plain progress lines ("<stack>  running ..." then its end). */
export function maxRunningAtOnce(progress: string): number {
  const running = new Set<string>();
  let max = 0;
  for (const line of progress.split("\n")) {
    const m = /^(\S+)\s+(running|ok|FAILED|cancelled)\b/.exec(line);
    if (!m) continue;
    if (m[2] === "running") running.add(m[1]);
    else running.delete(m[1]);
    max = Math.max(max, running.size);
  }
  return max;
}
