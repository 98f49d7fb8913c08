// A process the Pulumi CLI starts (the dynamic-provider host, the project's language host) ends itself within a
// second once the process that started it is gone (SIGKILL included) or a zombie: nothing else would take it down,
// and a provider host would go on with a create for a run that no longer exists. Plain CommonJS, no dependency.
"use strict";
const { existsSync, readFileSync } = require("node:fs");

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

/**
 * Watches the parent of this process (as it was at start: process.ppid is not updated after a re-parenting);
 * `beforeEnd` runs first (to take the process's own children down).
 */
function endWithParent(beforeEnd = () => undefined, intervalMs = 1000) {
  const parent = process.ppid;
  setInterval(() => {
    if (alive(parent)) return;
    try {
      beforeEnd();
    } finally {
      process.kill(process.pid, "SIGKILL");
    }
  }, intervalMs).unref();
}

module.exports = { alive, endWithParent };
