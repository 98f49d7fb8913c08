// Crash safety across the whole run: a first `up` of a node with every concern on is killed at random moments
// (kill-trial.ts), then it must converge. 2 trials here (CI); `tsx bench/kill.ts` runs 10. The seed is printed:
// replay a failure with EDGE_KILL_SEED=<seed> (EDGE_KILL_TRIALS sets how many trials).
import { describe, expect, it } from "vitest";
import { baseSeed, runKillTrial } from "../support/kill-trial";

const trials = Number(process.env.EDGE_KILL_TRIALS ?? 2);
const seed = baseSeed();
process.stdout.write(`kill test: seed ${seed} (replay with EDGE_KILL_SEED=${seed})\n`);

describe(`up killed at random moments (seed ${seed})`, { timeout: 1_200_000 }, () => {
  for (let i = 0; i < trials; i++) {
    const trialSeed = (seed + i) >>> 0;
    it(`trial ${i + 1} (EDGE_KILL_SEED=${trialSeed} EDGE_KILL_TRIALS=1): converges, preview is a no-op, same keys, no stray process`, async () => {
      const result = await runKillTrial(trialSeed, (line) => process.stdout.write(`kill trial ${i + 1}: ${line}\n`));
      expect(result.convergeUpSeconds).toBeGreaterThan(0);
    });
  }
});
