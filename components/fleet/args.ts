// The fleet command's arguments. Every mistake is one line naming the argument, found before any stack is touched.
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

export const FLEET_COMMANDS = ["preview", "up", "refresh"] as const;
export type FleetCommand = (typeof FLEET_COMMANDS)[number];

/** Two runs at once fit this project's 2-core machines; each run is a CLI, an engine and a provider host (~300 MB). */
export const DEFAULT_CONCURRENCY = 2;
/** More than this many CLIs at once only queue on the machine's cores and the backend's folder. */
export const MAX_CONCURRENCY = 64;

export const FLEET_USAGE = `usage: fleet <${FLEET_COMMANDS.join("|")}> (--stacks a,b,c | --all) [--concurrency N] [--resume] [--json] [--cwd DIR] [--policy-pack DIR ...]`;

export interface FleetArgs {
  command: FleetCommand;
  /** The stacks named with --stacks, in the order given; undefined with --all (every stack config file). */
  stacks?: string[];
  concurrency: number;
  resume: boolean;
  json: boolean;
  /** The project folder; undefined: the runner's own. */
  cwd?: string;
  /** Policy pack folders (absolute), in the order given: every node's preview/up runs them (the CLI's --policy-pack). */
  policyPacks: string[];
}

export class FleetUsageError extends Error {}

/** Pulumi's rule for stack names (letters, digits, '-', '_', '.'), with no organisation/project prefix. */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function parseFleetArgs(argv: string[]): FleetArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        stacks: { type: "string", short: "s" },
        all: { type: "boolean" },
        concurrency: { type: "string", short: "c" },
        resume: { type: "boolean" },
        json: { type: "boolean" },
        cwd: { type: "string" },
        "policy-pack": { type: "string", multiple: true },
      },
    });
  } catch (err) {
    // node:util's messages name the option ("Unknown option '--foo'"); keep their first line, one sentence.
    throw new FleetUsageError(`${String((err as Error).message).split("\n")[0].split(". ")[0].replace(/\.$/, "")}; ${FLEET_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !FLEET_COMMANDS.includes(positionals[0] as FleetCommand)) {
    throw new FleetUsageError(positionals.length === 0 ? `a command is required; ${FLEET_USAGE}` : `command: ${JSON.stringify(positionals.join(" "))} is not one of ${FLEET_COMMANDS.join(", ")}; ${FLEET_USAGE}`);
  }
  if (values.all && values.stacks !== undefined) throw new FleetUsageError("--stacks and --all: give one of them, not both");
  if (!values.all && values.stacks === undefined) throw new FleetUsageError(`--stacks a,b,c or --all is required; ${FLEET_USAGE}`);
  let stacks: string[] | undefined;
  if (values.stacks !== undefined) {
    stacks = values.stacks.split(",").map((s) => s.trim());
    const bad = stacks.find((s) => !STACK_NAME.test(s));
    if (bad !== undefined) throw new FleetUsageError(`--stacks: ${JSON.stringify(bad)} is not a stack name (letters, digits, '-', '_', '.')`);
    const twice = stacks.find((s, i) => stacks!.indexOf(s) !== i);
    if (twice !== undefined) throw new FleetUsageError(`--stacks: ${twice} is named twice`);
  }
  let concurrency = DEFAULT_CONCURRENCY;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!/^\d+$/.test(values.concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new FleetUsageError(`--concurrency: ${JSON.stringify(values.concurrency)} is not a whole number from 1 to ${MAX_CONCURRENCY}`);
    }
  }
  const command = positionals[0] as FleetCommand;
  // `pulumi refresh` takes no --policy-pack: a pack checks what a preview or an update is about to do.
  if (values["policy-pack"] !== undefined && command === "refresh") throw new FleetUsageError("--policy-pack: applies to preview and up only (pulumi refresh runs no policy pack)");
  const policyPacks = (values["policy-pack"] ?? []).map(policyPackDir);
  return { command, stacks, concurrency, resume: values.resume ?? false, json: values.json ?? false, cwd: values.cwd, policyPacks };
}

/**
 * A --policy-pack folder, absolute (the CLI runs in the project folder, not here), checked before any node runs:
 * otherwise every node would fail on its own with the CLI's error about the same folder.
 */
function policyPackDir(dir: string): string {
  const abs = resolve(dir);
  if (dir === "" || !existsSync(abs)) throw new FleetUsageError(`--policy-pack: ${JSON.stringify(dir)} does not exist`);
  if (!statSync(abs).isDirectory() || !existsSync(join(abs, "PulumiPolicy.yaml"))) throw new FleetUsageError(`--policy-pack: ${abs} is not a policy pack folder (no PulumiPolicy.yaml in it)`);
  return abs;
}
