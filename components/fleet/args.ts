// The fleet command's arguments. Every mistake is one line naming the argument, found before any stack is touched.
import { parseArgs } from "node:util";

export const FLEET_COMMANDS = ["preview", "up", "refresh"] as const;
export type FleetCommand = (typeof FLEET_COMMANDS)[number];

/** Two runs at once fit this project's 2-core machines; each run is a CLI, an engine and a provider host (~300 MB). */
export const DEFAULT_CONCURRENCY = 2;
/** More than this many CLIs at once only queue on the machine's cores and the backend's folder. */
export const MAX_CONCURRENCY = 64;

export const FLEET_USAGE = `usage: fleet <${FLEET_COMMANDS.join("|")}> (--stacks a,b,c | --all) [--concurrency N] [--resume] [--json] [--cwd DIR]`;

export interface FleetArgs {
  command: FleetCommand;
  /** The stacks named with --stacks, in the order given; undefined with --all (every stack config file). */
  stacks?: string[];
  concurrency: number;
  resume: boolean;
  json: boolean;
  /** The project folder; undefined: the runner's own. */
  cwd?: string;
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
  return { command: positionals[0] as FleetCommand, stacks, concurrency, resume: values.resume ?? false, json: values.json ?? false, cwd: values.cwd };
}
