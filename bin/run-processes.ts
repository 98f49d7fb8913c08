// The processes of one run, found by a marker in their environment. The CLI starts each dynamic-provider host
// (a shell launcher and its node) in a process group of its own, so killing the runner's group does not reach
// them, and after the CLI dies they are re-parented: neither the process group nor the parent chain finds them.
// Every process the CLI starts inherits the runner's environment, so `EDGE_RUN_ID` marks them all.
import { readdirSync, readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { isHolding } from "../components/shared/provider-host/end-with-parent";

export const RUN_ID_VARIABLE = "EDGE_RUN_ID";

/**
 * What runs of one stack share: the stack's name and a digest of its project folder and backend (two projects
 * may each have a stack "local").
 */
export function stackMarker(stack: string, projectDir: string, backend: string): string {
  return `${stack}@${createHash("sha256").update(`${projectDir}\n${backend}`).digest("hex").slice(0, 12)}`;
}

/** A fresh run id: the stack's marker, the runner's pid (to tell orphans from a run still going), and a nonce. */
export function newRunId(marker: string, runnerPid = process.pid): string {
  return `${marker}:${runnerPid}:${randomBytes(6).toString("hex")}`;
}

/** The pid of the runner that started the run with this id (undefined when the id is not ours). */
export function runnerPidOf(runId: string): number | undefined {
  const pid = Number(runId.split(":").at(-2));
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The marker of a process (the value of EDGE_RUN_ID in its environment), undefined when it has none or is gone. */
export function runIdOf(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "utf8");
    const entry = env.split("\0").find((e) => e.startsWith(`${RUN_ID_VARIABLE}=`));
    return entry?.slice(RUN_ID_VARIABLE.length + 1);
  } catch {
    return undefined; // gone, or not ours to read
  }
}

function isZombie(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z");
  } catch {
    return true;
  }
}

/** Live processes (not zombies) whose environment carries a run id matching `match`, other than this one. */
export function markedProcesses(match: (runId: string) => boolean): { pid: number; runId: string }[] {
  const found: { pid: number; runId: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const runId = runIdOf(pid);
    if (runId !== undefined && match(runId) && !isZombie(pid)) found.push({ pid, runId });
  }
  return found;
}

/**
 * SIGKILLs every process of the run but those inside a hold (end-with-parent.js: they finish that step, then end
 * themselves once the runner is gone); returns the pids killed.
 */
export function killRun(runId: string): number[] {
  const pids = markedProcesses((id) => id === runId)
    .map((p) => p.pid)
    .filter((pid) => !isHolding(pid));
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

/**
 * Kills what earlier runs of this stack left behind: processes marked with a run of the stack's `marker` whose runner is gone
 * (it was killed with SIGKILL, or the machine's supervisor killed only part of the run). A run whose runner is
 * alive is left alone, and so is a process inside a hold (it ends itself when the hold closes). Returns the pids killed.
 */
export function killOrphansOf(marker: string): number[] {
  const orphans = markedProcesses((id) => id.startsWith(`${marker}:`) && !alive(runnerPidOf(id) ?? -1)).filter((o) => !isHolding(o.pid));
  for (const { pid } of orphans) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return orphans.map((o) => o.pid);
}
