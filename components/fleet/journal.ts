// The fleet run journal: one JSON file per project, under the state backend's folder (never in the repository),
// rewritten atomically each time a node changes state, so a run stopped at any point (Ctrl-C, SIGTERM, SIGKILL,
// a power cut) leaves a journal that says which nodes had converged. `--resume` reads it to skip them.
//
// When a node counts as converged: its command (up, refresh or preview) ended with success in a fleet run, and
// its stack config file is byte for byte what it was right after that success. The digest is taken after the
// run because the first run of a new stack writes the stack's encryption salt into that file. A changed config
// file means the operator changed the node since, so it runs again. Drift on the node itself (a deleted key
// file) is not looked for: that is what `fleet refresh` / `fleet preview` are for.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { parse as parseYaml } from "yaml";
import type { FleetCommand } from "./args";

/** "held": another runner of a shared backend runs the node now (claims.ts); this one waits for it. */
export type NodeState = "pending" | "running" | "ok" | "failed" | "skipped" | "cancelled" | "not started" | "held";

export interface NodeRecord {
  state: NodeState;
  /** Resources changed (for preview: would change), "same" left out. */
  changes?: Record<string, number>;
  /** Resources the engine stepped through (the stack's size). */
  resources?: number;
  seconds?: number;
  /** One line, no secret: what went wrong. */
  error?: string;
  /** sha256 of the stack config file right after the success. */
  configDigest?: string;
  /** The run in which the node last converged (this one, or an earlier one for a skipped node). */
  convergedIn?: string;
  /** Shared backend: the runner that ran the node, when it is another one (host:pid). */
  runner?: string;
}

export interface Journal {
  version: 1;
  runId: string;
  command: FleetCommand;
  projectDir: string;
  /** The fleet runner's pid: a journal without `finishedAt` whose runner is alive belongs to a run going on. */
  pid: number;
  startedAt: string;
  finishedAt?: string;
  /** How the run ended: every node ran, or a signal stopped it. */
  outcome?: "completed" | "interrupted";
  nodes: Record<string, NodeRecord>;
}

/** sha256 of a stack config file ("" when it is missing). */
export function configDigest(file: string): string {
  return existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : "";
}

/**
 * sha256 of a stack's settings (the config file's `config` section, keys sorted), for runners that share a backend:
 * each has its own copy of the file, and the CLI writes the stack's encryption salt (and its own YAML layout) into
 * a copy the first time it runs the stack there, which changes the file but not the node.
 */
export function settingsDigest(file: string): string {
  if (!existsSync(file)) return "";
  const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sorted(x)])) : v);
  const parsed = (parseYaml(readFileSync(file, "utf8")) ?? {}) as { config?: unknown };
  return createHash("sha256").update(JSON.stringify(sorted(parsed.config ?? {}))).digest("hex");
}

/** Where a project's fleet journal and run logs live: `<backend folder>/fleet/<digest of the project folder>/`. */
export function journalDir(stateDir: string, projectDir: string): string {
  return join(stateDir, "fleet", createHash("sha256").update(projectDir).digest("hex").slice(0, 12));
}

export function readJournal(dir: string): Journal | undefined {
  const file = join(dir, "journal.json");
  if (!existsSync(file)) return undefined;
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: not a fleet journal (${(err as Error).message}); move it aside to start afresh`);
  }
  if (journal?.version !== 1 || typeof journal.nodes !== "object") throw new Error(`${file}: not a fleet journal of this version; move it aside to start afresh`);
  return journal;
}

/** Writes the journal whole: a reader (a resume after SIGKILL) never sees half a file. 0600: it names the stacks. */
export function writeJournal(dir: string, journal: Journal): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic.sync(join(dir, "journal.json"), JSON.stringify(journal, null, 2) + "\n", { mode: 0o600 });
}

/**
 * The nodes `--resume` skips: those the earlier run (of the same command) saw converge, whose config file has
 * not changed since. Returns the stack -> run id in which it converged.
 */
export function convergedNodes(previous: Journal, command: FleetCommand, stacks: string[], digestOf: (stack: string) => string): Map<string, string> {
  const skip = new Map<string, string>();
  if (previous.command !== command) return skip;
  for (const stack of stacks) {
    const record = previous.nodes[stack];
    if (!record || (record.state !== "ok" && record.state !== "skipped") || !record.configDigest) continue;
    if (record.configDigest === digestOf(stack)) skip.set(stack, record.convergedIn ?? previous.runId);
  }
  return skip;
}
