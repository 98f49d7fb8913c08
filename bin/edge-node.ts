// Runs the node stack program through the Pulumi Automation API: the CLI drives the engine and this process
// serves the program, so no Node.js language-host binary is needed on the node.
//   edge-node <preview|up|refresh|destroy|outputs> --stack NAME [--cwd DIR] [--summary FILE] [--replace URN]...
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { CommandError, EngineEvent, OpType, Stack } from "@pulumi/pulumi/automation";
import { backendUrl, openStack, PROJECT_ROOT, requirePassphrase, UsageError } from "./automation";
import { killOrphansOf, killRun, newRunId, stackMarker } from "./run-processes";

const COMMANDS = ["preview", "up", "refresh", "destroy", "outputs"] as const;
type Command = (typeof COMMANDS)[number];

interface Step {
  op: OpType;
  type: string;
  name: string;
  diffs: string[];
  /** The properties that force a replacement ("files": the service's folder vanished or was altered). */
  keys: string[];
}

function parse(argv: string[]): { command: Command; stack: string; cwd: string; summary?: string; replace?: string[] } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { stack: { type: "string", short: "s" }, cwd: { type: "string" }, summary: { type: "string" }, replace: { type: "string", multiple: true } },
  });
  const command = positionals[0] as Command;
  if (!COMMANDS.includes(command)) throw new UsageError(`usage: edge-node <${COMMANDS.join("|")}> --stack NAME [--cwd DIR] [--summary FILE] [--replace URN]...`);
  if (!values.stack) throw new UsageError("--stack NAME is required (the node's stack, e.g. local)");
  return { command, stack: values.stack, cwd: resolve(values.cwd ?? PROJECT_ROOT), summary: values.summary, replace: values.replace };
}

/** This run's id, set once the stack is known. */
let runId = "";

/**
 * Before the run: kill what killed runs of this stack left behind (provider hosts hold ~150 MB each). During
 * it: on SIGTERM or SIGHUP, kill every process of this run, then exit (SIGINT is the CLI's: it cancels cleanly).
 */
function guardRunProcesses(stack: string, cwd: string): void {
  const marker = stackMarker(stack, cwd, backendUrl());
  runId = newRunId(marker);
  const orphans = killOrphansOf(marker);
  if (orphans.length > 0) process.stderr.write(`edge-node: killed ${orphans.length} process(es) left behind by a killed run of this stack (pids ${orphans.join(", ")})\n`);
  for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.once(signal, () => {
      const killed = killRun(runId);
      process.stderr.write(`edge-node: ${signal}: stopped this run (${killed.length} process(es)); release the stack's lock with: npm run pulumi -- cancel --stack ${stack} --yes, then run up again\n`);
      process.exit(code);
    });
  }
}

/** What the CLI's display printed, and the engine's error and warning diagnostics: each is printed once. */
let streamed = "";
const engineErrors = new Set<string>();
const engineWarnings = new Set<string>();

async function runCommand(stack: Stack, args: ReturnType<typeof parse>, opts: { onOutput: (s: string) => void; onEvent: (e: EngineEvent) => void; color: "never" }) {
  switch (args.command) {
    case "preview":
      return (await stack.preview({ ...opts, diff: true, replace: args.replace })).changeSummary;
    case "up":
      return (await stack.up({ ...opts, diff: true, replace: args.replace })).summary.resourceChanges;
    case "refresh":
      return (await stack.refresh(opts)).summary.resourceChanges;
    case "destroy":
      return (await stack.destroy(opts)).summary.resourceChanges;
    case "outputs": {
      const outputs = await stack.outputs();
      const plain = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
      process.stdout.write(JSON.stringify(plain, null, 2) + "\n");
      return undefined;
    }
  }
}

async function run(argv: string[]): Promise<void> {
  const args = parse(argv);
  requirePassphrase();
  guardRunProcesses(args.stack, args.cwd);
  const stack = await openStack(args.stack, args.cwd, runId);
  const steps: Step[] = [];
  const onEvent = (event: EngineEvent) => {
    const diag = event.diagnosticEvent;
    if (diag && diag.severity === "error") engineErrors.add(`error: ${diag.message.trim()}`);
    if (diag && diag.severity === "warning") engineWarnings.add(`warning: ${diag.message.trim()}`);
    const meta = event.resourcePreEvent?.metadata;
    if (meta && meta.op !== "same" && meta.type !== "pulumi:pulumi:Stack") {
      steps.push({ op: meta.op, type: meta.type, name: meta.urn.split("::").pop()!, diffs: meta.diffs ?? [], keys: meta.keys ?? [] });
    }
  };
  const onOutput = (s: string) => {
    streamed += s;
    process.stdout.write(s);
  };
  let changeSummary;
  try {
    changeSummary = await runCommand(stack, args, { onOutput, onEvent, color: "never" });
  } finally {
    // The CLI's display leaves out some errors (a program's own failure), and its --diff display the
    // program's warnings: print them plainly.
    for (const w of engineWarnings) if (!streamed.includes(w)) process.stderr.write(`${w}\n`);
    for (const e of engineErrors) process.stderr.write(`${e}\n`);
  }
  const replaced = steps.filter((s) => s.op === "replace");
  if (replaced.length > 0) {
    process.stdout.write(`Replacements: ${replaced.map((s) => `${s.name} (${s.keys.join(", ") || "inputs changed"})`).join(", ")}\n`);
  }
  const updated = steps.filter((s) => s.op === "update");
  if (updated.length > 0) {
    process.stdout.write(`Updates: ${updated.map((s) => (s.diffs.length > 0 ? `${s.name} (${s.diffs.join(", ")})` : s.name)).join(", ")}\n`);
  }
  if (args.summary) writeFileSync(args.summary, JSON.stringify({ command: args.command, changeSummary, steps }, null, 2));
}

run(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`edge-node: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof CommandError) {
    // Print the CLI's error lines that its streamed display did not already show.
    const cliErrors = String(err.message).split("\n").filter((l) => l.startsWith("error:") && !streamed.includes(l) && !engineErrors.has(l));
    const hints = /the stack is currently locked/.test(String(err.message))
      ? [`edge-node: if no other run of this stack is going on (an earlier run was killed), release the lock with: npm run pulumi -- cancel --stack ${parse(process.argv.slice(2)).stack} --yes`]
      : [];
    process.stderr.write([...new Set(cliErrors), ...hints, `edge-node: pulumi ${process.argv[2]} failed`].join("\n") + "\n");
    process.exit(1);
  }
  process.stderr.write(`edge-node: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
