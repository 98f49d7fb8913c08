// A process the Pulumi CLI starts (the dynamic-provider host, the project's language host) ends itself within a
// second once the process that started it is gone (SIGKILL included) or a zombie: nothing else would take it down,
// and a provider host would go on with a create for a run that no longer exists. Except inside a hold: a step that
// must not be cut (the secret store's init response on its way to custody: the server returns the unseal keys once)
// runs to its end first, and the process ends right after. Plain CommonJS, no dependency.
"use strict";
const { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

/** Whether `pid` runs: gone or a zombie (dead, not yet reaped) is not. /proc where there is one, else signal 0. */
function alive(pid) {
  if (!existsSync("/proc/self/stat")) {
    try {
      return process.kill(pid, 0);
    } catch {
      return false;
    }
  }
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z");
  } catch {
    return false;
  }
}

// Holds open in this process, and the watches to run again when the last one closes: one record for every copy
// of this module (it may be loaded by two paths).
const HOLDS = Symbol.for("edge-security.holds");
globalThis[HOLDS] = globalThis[HOLDS] ?? { open: 0, watches: [] };

/** Where a process's open hold is announced, so that a runner killing the run's processes leaves that one to end itself. */
function holdFile(pid) {
  return join(tmpdir(), `edge-security-holds-${process.getuid?.() ?? "user"}`, String(pid));
}

/** Whether `pid` is alive inside a hold (it ends itself when the hold closes, if its run is gone). */
function isHolding(pid) {
  return existsSync(holdFile(pid)) && alive(pid);
}

/** Runs `step` (async) so that the watches below wait for it; `what` names it in the announcement. */
async function holding(what, step) {
  const holds = globalThis[HOLDS];
  if (holds.open++ === 0) {
    try {
      mkdirSync(join(holdFile(process.pid), ".."), { recursive: true, mode: 0o700 });
      writeFileSync(holdFile(process.pid), `${what}\n`);
    } catch {
      // Not announced (a folder not ours, a full disk): the watches in this process still wait for the step.
    }
  }
  try {
    return await step();
  } finally {
    if (--holds.open === 0) {
      rmSync(holdFile(process.pid), { force: true });
      // A run that died meanwhile ends now, not at the next tick: nothing after the step runs for it.
      for (const watch of holds.watches) watch();
    }
  }
}

/** Runs `watch` every `intervalMs` and when a hold closes, never inside one. */
function watchOutsideHolds(watch, intervalMs = 1000) {
  const guarded = () => {
    if (!held()) watch();
  };
  globalThis[HOLDS].watches.push(guarded);
  setInterval(guarded, intervalMs).unref();
}

/** Whether a hold is open in this process. */
function held() {
  return globalThis[HOLDS].open > 0;
}

/**
 * Watches the parent of this process (as it was at start: process.ppid is not updated after a re-parenting);
 * `beforeEnd` runs first (to take the process's own children down).
 */
function endWithParent(beforeEnd = () => undefined, intervalMs = 1000) {
  const parent = process.ppid;
  watchOutsideHolds(() => {
    if (alive(parent)) return;
    try {
      beforeEnd();
    } finally {
      process.kill(process.pid, "SIGKILL");
    }
  }, intervalMs);
}

module.exports = { alive, endWithParent, holding, isHolding, watchOutsideHolds };
