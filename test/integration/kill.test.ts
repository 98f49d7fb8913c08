// Crash safety across the whole run: a first `up` of a node with every concern on is killed at random moments
// (kill-trial.ts), then it must converge, and no process of the run may outlive it. Trials through the runner
// (EDGE_KILL_TRIALS, 1 here in CI) and, once per language host, a plain `pulumi up` whose CLI is killed with
// SIGKILL, converged from a clean environment. `tsx bench/kill.ts` runs more. The seed is printed: replay a
// failure with EDGE_KILL_SEED=<seed>.
import { describe, expect, it } from "vitest";
import { HostKind, OFFICIAL_HOST_BUILT } from "../support/harness";
import { baseSeed, runKillTrial, type TrialVia } from "../support/kill-trial";
import { sharedPath } from "../support/shared";

const trials = Number(process.env.EDGE_KILL_TRIALS ?? 1);
const seed = baseSeed();
process.stdout.write(`kill test: seed ${seed} (replay with EDGE_KILL_SEED=${seed})\n`);
const hosts: HostKind[] = ["project"];
if (sharedPath("pulumi-language-nodejs", "the kill trial with Pulumi's official language host") && OFFICIAL_HOST_BUILT) hosts.unshift("official");
const runs: TrialVia[] = [...Array.from({ length: trials }, () => "runner" as const), ...hosts];

describe(`up killed at random moments (seed ${seed})`, { timeout: 1_200_000 }, () => {
  runs.forEach((via, i) => {
    const trialSeed = (seed + i) >>> 0;
    it(`trial ${i + 1}, ${via === "runner" ? "the runner" : `plain pulumi with the ${via} language host`} (EDGE_KILL_SEED=${trialSeed}): converges, preview is a no-op, same keys, no stray process`, async () => {
      const result = await runKillTrial(trialSeed, (line) => process.stdout.write(`kill trial ${i + 1}: ${line}\n`), via);
      expect(result.convergeUpSeconds).toBeGreaterThan(0);
    });
  });
});
