// `fleet status`: which node of the fleet is done, running, failed or waiting, as the state backend sees it. With a
// shared backend (claims.ts) that is every runner's view: the latest run and each node's record there, a `running`
// node checked against its claim (a recorded run whose runner is gone shows as `stalled`: the next runner takes it
// over). With a file backend it is this machine's journal of the latest run (journal.ts).
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { backendDir, backendUrl, PROJECT_ROOT } from "../../bin/automation";
import { FleetUsageError } from "./args";
import { fleetStatus, StatusRow } from "./claims";
import { formatDuration } from "./format";
import { journalDir, readJournal } from "./journal";
import { stackConfigs } from "./runner";
import { fleetBackend } from "./state-backend";

export interface FleetStatus {
  backend: "shared" | "file";
  run?: { runId: string; command: string; startedAt: string; finishedAt: string | null };
  nodes: StatusRow[];
}

export async function readFleetStatus(argv: string[]): Promise<{ status: FleetStatus; json: boolean }> {
  let values;
  try {
    values = parseArgs({ args: argv, strict: true, options: { json: { type: "boolean" }, cwd: { type: "string" } } }).values;
  } catch (err) {
    throw new FleetUsageError(`${String((err as Error).message).split("\n")[0].split(". ")[0]}; usage: fleet status [--json] [--cwd DIR]`);
  }
  const projectDir = resolve(values.cwd ?? PROJECT_ROOT);
  const configs = await stackConfigs(projectDir);
  const shared = fleetBackend(backendUrl());
  if (shared) {
    const { run, nodes } = await fleetStatus(shared, configs.project, configs.stacks);
    return { json: values.json ?? false, status: { backend: "shared", run: run && { ...run, startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null }, nodes } };
  }
  const journal = readJournal(journalDir(backendDir() ?? join(projectDir, ".state"), projectDir));
  const word = { ok: "done", skipped: "done", failed: "failed", running: "running", held: "running" } as Record<string, StatusRow["state"]>;
  const names = [...new Set([...configs.stacks, ...Object.keys(journal?.nodes ?? {})])].sort();
  const nodes = names.map((stack): StatusRow => {
    const rec = journal?.nodes[stack];
    return { stack, state: (rec && word[rec.state]) ?? "waiting", runner: rec ? `${journal!.pid}` : null, updatedAt: null, seconds: rec?.seconds ?? null, error: rec?.error ?? null };
  });
  return { json: values.json ?? false, status: { backend: "file", run: journal && { runId: journal.runId, command: journal.command, startedAt: journal.startedAt, finishedAt: journal.finishedAt ?? null }, nodes } };
}

export function statusTable(status: FleetStatus): string {
  const head = ["node", "state", "runner", "duration", "error"];
  const rows = status.nodes.map((n) => [n.stack, n.state, n.runner ?? "-", n.seconds === null ? "-" : formatDuration(n.seconds), n.error ?? ""]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const run = status.run ? `run ${status.run.runId} (${status.run.command}), ${status.run.finishedAt ? `finished ${status.run.finishedAt}` : "going on or interrupted"}` : "no fleet run yet";
  return [`fleet status (${status.backend === "shared" ? "shared backend" : "this machine's journal"}): ${run}`, line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
