// Preloaded (NODE_OPTIONS --require) into every Node process the CLI starts for a run: the dynamic-provider
// hosts. They sit in process groups of their own and are re-parented when the CLI dies, so nothing else takes
// them down when the run is killed: each one watches the runner named in its EDGE_RUN_ID (bin/run-processes.ts)
// and ends itself within a second of the runner's death (each holds ~150 MB). Plain CommonJS: it loads before
// anything else, with no dependency.
"use strict";
const runId = process.env.EDGE_RUN_ID;
const runnerPid = runId ? Number(runId.split(":").at(-2)) : NaN;
if (Number.isInteger(runnerPid) && runnerPid > 0 && runnerPid !== process.pid) {
  const { readFileSync } = require("node:fs");
  const runnerAlive = () => {
    try {
      // Gone, or a zombie (dead, not yet reaped by its parent).
      return !readFileSync(`/proc/${runnerPid}/stat`, "utf8").split(") ")[1].startsWith("Z");
    } catch {
      return false;
    }
  };
  setInterval(() => {
    if (!runnerAlive()) process.kill(process.pid, "SIGKILL");
  }, 1000).unref();
}
