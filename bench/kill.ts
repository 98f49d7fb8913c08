// Crash-safety benchmark (not part of npm test): 10 randomized kill trials of a first `up` of a node with every
// concern on (test/support/kill-trial.ts), each followed by a converging `up`. The trials take turns: the runner,
// then a plain `pulumi up` killed with SIGKILL with each language host (Pulumi's official one where the set-up
// built it, the project's own), converged from a clean environment; each checks that no process of the run
// survives it. Prints the seed (replay:
// EDGE_KILL_SEED=<seed>; EDGE_KILL_TRIALS sets the count), one row per trial, and the converging up's time as a
// ratio to a clean first up of the same node measured in the same run (the floor).
import { baseSeed, runKillTrial, type TrialResult, type TrialVia } from "../test/support/kill-trial";
import { FullNode } from "../test/support/full-node";
import { expectOk, OFFICIAL_HOST_BUILT } from "../test/support/harness";

const VIAS: TrialVia[] = ["runner", ...(OFFICIAL_HOST_BUILT ? (["official"] as const) : []), "project"];

async function cleanUpSeconds(): Promise<number> {
  const full = new FullNode("kill-floor");
  try {
    await full.start();
    const started = Date.now();
    expectOk(await full.node.run("up"));
    return (Date.now() - started) / 1000;
  } finally {
    await full.stop();
  }
}

async function main(): Promise<void> {
  const trials = Number(process.env.EDGE_KILL_TRIALS ?? 10);
  const seed = baseSeed();
  process.stdout.write(`kill benchmark: ${trials} trials, seed ${seed} (replay with EDGE_KILL_SEED=${seed})\n`);
  const floor = await cleanUpSeconds();
  process.stdout.write(`floor: a clean first up of the full node took ${floor.toFixed(1)} s\n`);
  const rows: string[] = ["| trial | seed | run by | how | kill point | killed at (s) | converging up (s) | ratio to floor |", "|---|---|---|---|---|---|---|---|"];
  let failed = 0;
  for (let i = 0; i < trials; i++) {
    const trialSeed = (seed + i) >>> 0;
    try {
      const r: TrialResult = await runKillTrial(trialSeed, (line) => process.stdout.write(`trial ${i + 1}: ${line}\n`), VIAS[i % VIAS.length]);
      rows.push(`| ${i + 1} | ${r.seed} | ${r.via} | ${r.way} | event ${r.killAfterEvents} + ${r.delayMs} ms | ${r.killed ? r.killedAtSeconds.toFixed(1) : "finished first"} | ${r.convergeUpSeconds.toFixed(1)} | ${(r.convergeUpSeconds / floor).toFixed(2)} |`);
    } catch (err) {
      failed++;
      rows.push(`| ${i + 1} | ${trialSeed} | ${VIAS[i % VIAS.length]} | FAILED: ${String((err as Error).message).split("\n")[0]} | | | | |`);
    }
  }
  process.stdout.write(`${rows.join("\n")}\n`);
  if (failed > 0) {
    process.stderr.write(`${failed} of ${trials} trials failed: replay one with EDGE_KILL_SEED=<its seed> EDGE_KILL_TRIALS=1\n`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/kill: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
