// Preloaded (NODE_OPTIONS --require) into every Node process the CLI starts for a run: the dynamic-provider
// hosts. They sit in process groups of their own and are re-parented when the CLI dies, so nothing else takes
// them down when the run is killed: each one watches the runner named in its EDGE_RUN_ID (bin/run-processes.ts)
// and ends itself within a second of the runner's death (each holds ~150 MB). Plain CommonJS: it loads before
// anything else, with no dependency but end-with-parent.js. A step inside a hold (end-with-parent.js) runs to its end first.
"use strict";
const runId = process.env.EDGE_RUN_ID;
const runnerPid = runId ? Number(runId.split(":").at(-2)) : NaN;
if (Number.isInteger(runnerPid) && runnerPid > 0 && runnerPid !== process.pid) {
  // Gone, or a zombie (dead, not yet reaped by its parent): the same check as a provider host's watch on its CLI.
  const { alive, watchOutsideHolds } = require("../components/shared/provider-host/end-with-parent");
  watchOutsideHolds(() => {
    if (!alive(runnerPid)) process.kill(process.pid, "SIGKILL");
  });
}
