// npm run fleet -- <preview|up|refresh> (--stacks a,b,c | --all) [--concurrency N] [--resume] [--json] [--cwd DIR] [--policy-pack DIR ...]
// npm run fleet -- status [--json] [--cwd DIR]: which node is done, running, failed or waiting (components/fleet/status.ts)
// Runs one command over many node stacks of one project: components/fleet/runner.ts. The live display goes to
// stderr; the summary table (or, with --json, the report) to stdout. Exit status: 0 every node ok, 1 a node
// failed, 2 a usage mistake, 128+n a signal stopped the run.
import { CommandError } from "@pulumi/pulumi/automation";
import { UsageError } from "./automation";
import { FleetUsageError, parseFleetArgs } from "../components/fleet/args";
import { failureLines, FleetReport, reportJson, runFleet, summaryTable } from "../components/fleet/runner";
import { readFleetStatus, statusTable } from "../components/fleet/status";

const SIGNAL_STATUS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "status") {
    const { status, json } = await readFleetStatus(argv.slice(1));
    process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : `${statusTable(status)}\n`);
    return 0;
  }
  const args = parseFleetArgs(argv);
  const print = (report: FleetReport) => process.stdout.write(args.json ? `${reportJson(report)}\n` : `${summaryTable(report.nodes)}\n`);
  const report = await runFleet(args, { progress: process.stderr, reportNow: print });
  print(report);
  const failed = failureLines(report.nodes);
  const notDone = report.nodes.filter((n) => n.state === "cancelled" || n.state === "not started").length;
  for (const line of failed) process.stderr.write(`fleet: failed: ${line}\n`);
  if (report.interruptedBy) {
    process.stderr.write(`fleet: stopped by ${report.interruptedBy}: ${notDone} node(s) did not finish; run the same command with --resume to skip the nodes that converged (journal: ${report.journalFile})\n`);
    return SIGNAL_STATUS[report.interruptedBy] ?? 1;
  }
  if (failed.length > 0) {
    const names = report.nodes.filter((n) => n.state === "failed").map((n) => n.stack);
    process.stderr.write(`fleet: ${names.length} of ${report.nodes.length} node(s) failed: ${names.join(", ")} (full output of each: ${report.logDir})\n`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (err: unknown) => {
    if (err instanceof FleetUsageError || err instanceof UsageError) {
      process.stderr.write(`fleet: ${err.message}\n`);
      process.exit(2);
    }
    const message = err instanceof CommandError || err instanceof Error ? err.message.split("\n")[0] : String(err);
    process.stderr.write(`fleet: ${message}\n`);
    process.exit(1);
  },
);
