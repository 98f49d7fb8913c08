// What the fleet command prints: one progress line per node, the summary table, and each failure as one line.
// Everything here is built from counts, durations and the engine's error diagnostics; the CLI's own display
// (which can show values) goes to the node's log file only.
import type { PolicyEvent } from "@pulumi/pulumi/automation";
import type { NodeRecord, NodeState } from "./journal";

/** A node as the display sees it while the run goes on. */
export interface NodeView extends NodeRecord {
  stack: string;
  /** Resources whose step finished / resources the engine has started a step for. */
  done: number;
  seen: number;
  /** When the node's command started (ms since the epoch). */
  startedAt?: number;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.floor(seconds % 60);
  return m < 60 ? `${m}m${String(s).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** "create 3, update 1", or "none". The engine's "same" is left out: it is not a change. */
export function formatChanges(changes: Record<string, number> | undefined): string {
  if (!changes) return "-";
  const parts = Object.entries(changes)
    .filter(([op, n]) => op !== "same" && n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${op} ${n}`);
  return parts.length > 0 ? parts.join(", ") : "none";
}

export function changeCount(changes: Record<string, number> | undefined): number {
  return Object.entries(changes ?? {}).reduce((sum, [op, n]) => (op === "same" ? sum : sum + n), 0);
}

const STATE_WORD: Record<NodeState, string> = {
  pending: "waiting",
  running: "running",
  ok: "ok",
  failed: "FAILED",
  skipped: "skipped",
  cancelled: "cancelled",
  "not started": "not started",
  held: "held",
};

/** One node's progress line, e.g. "node-03  running  12/30 resources  7.1s". */
export function progressLine(view: NodeView, width: number, now: number): string {
  const name = view.stack.padEnd(width);
  const state = STATE_WORD[view.state].padEnd(11);
  switch (view.state) {
    case "running":
      return `${name}  ${state}  ${view.done}/${view.seen} resources  ${formatDuration((now - (view.startedAt ?? now)) / 1000)}`;
    case "ok":
      return `${name}  ${state}  ${view.resources ?? view.seen} resources, changes: ${formatChanges(view.changes)}  ${formatDuration(view.seconds ?? 0)}`;
    case "failed":
      return `${name}  ${state}  ${view.error ?? "failed"}  ${formatDuration(view.seconds ?? 0)}`;
    case "skipped":
      return view.runner ? `${name}  ${state}  done by runner ${view.runner}` : `${name}  ${state}  converged in run ${view.convergedIn ?? "?"}`;
    case "held":
      return `${name}  ${state}  by runner ${view.runner ?? "?"}; waiting for it`;
    case "cancelled":
      return `${name}  ${state}  ${view.done}/${view.seen} resources when stopped  ${formatDuration(view.seconds ?? 0)}`;
    default:
      return `${name}  ${STATE_WORD[view.state]}`;
  }
}

/** "3 ok, 1 failed, 2 running, 4 waiting" in a fixed order, zero counts left out. */
export function countsLine(views: NodeView[]): string {
  const order: NodeState[] = ["ok", "skipped", "failed", "running", "held", "pending", "cancelled", "not started"];
  return order
    .map((s) => [s, views.filter((v) => v.state === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${STATE_WORD[s].toLowerCase()}`)
    .join(", ");
}

/**
 * The lines a terminal shows at one moment: a header with the counts, then one line per node. When the nodes
 * do not fit in `rows`, the nodes still of interest come first (running, failed), then the others in order.
 */
export function progressFrame(title: string, views: NodeView[], rows: number, now: number): string[] {
  const width = Math.max(...views.map((v) => v.stack.length), 4);
  const header = `${title}: ${countsLine(views)}`;
  if (views.length + 1 <= rows) return [header, ...views.map((v) => progressLine(v, width, now))];
  const rank = (v: NodeView) => (v.state === "running" ? 0 : v.state === "failed" ? 1 : 2);
  const shown = [...views].sort((a, b) => rank(a) - rank(b)).slice(0, Math.max(rows - 2, 0));
  return [header, ...shown.map((v) => progressLine(v, width, now)), `... ${views.length - shown.length} more node(s)`];
}

/** The table printed at the end: node, result, changes, duration; then each failure's error on one line. */
export function summaryTable(views: NodeView[]): string {
  const rows = views.map((v) => [v.stack, STATE_WORD[v.state], v.state === "ok" ? formatChanges(v.changes) : v.state === "skipped" ? (v.runner ? `(done by ${v.runner})` : "(converged earlier)") : "-", v.seconds === undefined ? "-" : formatDuration(v.seconds)]);
  const head = ["node", "result", "changes", "duration"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The lines that name each failed node and its error, for the end of the run (stderr). */
export function failureLines(views: NodeView[]): string[] {
  return views.filter((v) => v.state === "failed").map((v) => `${v.stack}: ${v.error ?? "failed"}`);
}

const GENERIC = /^(error: )?(update|preview|refresh|destroy) failed$|^error: \d+ errors? occurred:?$|^$/;

/**
 * The one line that says why a node's run failed: the first error diagnostic the engine reported (a resource's
 * or the program's), else the first `error:` line of the CLI's output, else the exception's first line.
 * Lines that say only "update failed" are passed over; the "error: " prefix is dropped.
 */
export function oneLineError(diagnostics: string[], err: unknown, stack = "<node>"): string {
  const fromDiags = diagnostics.flatMap((d) => d.split("\n").map((l) => l.trim())).find((l) => !GENERIC.test(l));
  const message = err instanceof Error ? err.message : String(err);
  // A CommandError's message holds the CLI's stderr after "stderr: ", its lines starting "error: ".
  const fromCli = message
    .split("\n")
    .map((l) => l.trim().replace(/^stderr: /, ""))
    .find((l) => l.startsWith("error:") && !GENERIC.test(l));
  const first = message.split("\n").map((l) => l.trim()).find((l) => l.length > 0);
  let line = (fromDiags ?? fromCli ?? first ?? "failed").replace(/^error: /, "");
  if (/the stack is currently locked/.test(message)) line = `the stack is locked by another run; if none is going on (a run was killed), release it with: npm run pulumi -- cancel --stack ${stack} --yes`;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * One mandatory policy violation as one line: "policy <name>: <the violation's message>". The engine's message is
 * the policy's description, then the violation's own message (which names the resource in this project's pack),
 * with the CLI's colour tags around them.
 */
export function policyViolation(event: Pick<PolicyEvent, "policyName" | "message">): string {
  const lines = event.message
    .replace(/<\{%[^%]*%\}>/g, "")
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return `policy ${event.policyName}: ${lines[lines.length - 1] ?? "violated"}`;
}
