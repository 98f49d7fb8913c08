// What every Automation API runner of this project shares (bin/edge-node.ts for one node, bin/fleet.ts for many):
// the environment the CLI runs in, and a stack opened over a project folder.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { delimiter, join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { sharedBackendCliEnv } from "../components/fleet/state-backend";
import { edgeNodeProgram } from "../program";
import { RUN_ID_VARIABLE } from "./run-processes";

export const PROJECT_ROOT = resolve(__dirname, "..");
const TOOLS = join(PROJECT_ROOT, "tools");

/** A mistake in how the runner was called: printed as one line, exit status 2. */
export class UsageError extends Error {}

/** The state backend: PULUMI_BACKEND_URL, else the project's own .state folder (as scripts/env.sh sets it). */
export function backendUrl(): string {
  return process.env.PULUMI_BACKEND_URL ?? `file://${join(PROJECT_ROOT, ".state")}?metadata=skip`;
}

/** The folder of a file backend (file://DIR?options), undefined for any other backend. */
export function backendDir(url = backendUrl()): string | undefined {
  return url.startsWith("file://") ? fileURLToPath(url.split("?")[0]) : undefined;
}

/** The passphrase rule: the stacks' secrets are encrypted with a passphrase the operator gives, never a default. */
export function requirePassphrase(): void {
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    throw new UsageError("set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE: it encrypts the stack's secrets");
  }
}

/** The CLI's environment for one run; `runId` marks every process of the run (see run-processes.ts). */
export function cliEnv(runId: string): Record<string, string> {
  requirePassphrase();
  const backend = backendUrl();
  // The file backend's folder must exist before the CLI opens it.
  const dir = backendDir(backend);
  if (dir) mkdirSync(dir, { recursive: true });
  return {
    PATH: [join(TOOLS, "bin"), process.env.PATH ?? ""].join(delimiter),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_HOME: process.env.PULUMI_HOME ?? join(TOOLS, "pulumi-home"),
    PULUMI_BACKEND_URL: backend,
    // A shared backend's settings the operator left unset (checkpoints compressed by the CLI: state-backend.ts).
    ...sharedBackendCliEnv(backend),
    // Dynamic providers load the TypeScript clients at run time: every Node process the CLI starts
    // (Pulumi's own dynamic-provider launcher included) preloads tsx.
    // run-guard.js ends each of them when the runner dies (see run-processes.ts).
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${require.resolve("tsx/cjs")}`, `--require ${join(__dirname, "run-guard.js")}`].filter(Boolean).join(" "),
    // Marks every process of this run (the CLI, the provider hosts in their own process groups): see run-processes.ts.
    [RUN_ID_VARIABLE]: runId,
  };
}

let pulumiCommand: Promise<PulumiCommand> | undefined;

/**
 * The CLI that the set-up built into tools/bin (looked up once per process), started through
 * bin/runner-cli/bin/pulumi so that it dies with this runner: a CLI left running by a dead runner would go on
 * writing a node's state that another fleet runner may take over.
 */
export function projectPulumiCommand(): Promise<PulumiCommand> {
  pulumiCommand ??= PulumiCommand.get({ root: join(PROJECT_ROOT, "bin", "runner-cli") }).catch(() => {
    throw new UsageError("the Pulumi CLI is not in tools/bin: run `npm run setup` first");
  });
  return pulumiCommand;
}

/**
 * The node stack `stackName` of the project in `cwd`, created if new, its program served inline by this process,
 * so no Node.js language-host binary is needed on the node.
 */
export async function openStack(stackName: string, cwd: string, runId: string): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack(
    { stackName, projectName: "edge-security", program: edgeNodeProgram },
    { workDir: cwd, pulumiCommand: await projectPulumiCommand(), envVars: cliEnv(runId), secretsProvider: "passphrase" },
  );
}

/**
 * The same stack with its program (the folder's index.ts) run by the CLI's Node.js language host in a process of
 * its own, as `pulumi up` typed in the folder runs it. The fleet uses this: inline programs of several stacks
 * served at once by one process mixed one node's config error into another node's run.
 */
export async function openProjectStack(stackName: string, cwd: string, runId: string): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack({ stackName, workDir: cwd }, { pulumiCommand: await projectPulumiCommand(), envVars: cliEnv(runId), secretsProvider: "passphrase" });
}
