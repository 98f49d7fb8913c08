// One randomized crash trial: a first `up` of a node with every concern on (full-node.ts) is killed at a random
// moment, in one of three ways, and then the node must converge. Shared by test/integration/kill.test.ts (2 trials
// in CI) and bench/kill.ts (10). Every choice comes from one seed, printed, so a failure can be replayed with
// EDGE_KILL_SEED=<seed>.
import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { markedProcesses } from "../../bin/run-processes";
import { readCustody } from "../../components/secret-store/custody";
import { keyMatchesCertificate } from "../../components/pki/client";
import { generateRootToken, revokeSelf } from "../../components/secret-store/client";
import { FULL_NODE_CUSTODY_SECRET, FullNode } from "./full-node";
import { changedNames, expectOk, TestNode } from "./harness";

/** Small seeded generator (mulberry32): the trial's choices must be replayable from the printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** EDGE_KILL_SEED, or a fresh one. */
export function baseSeed(): number {
  const given = process.env.EDGE_KILL_SEED;
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`EDGE_KILL_SEED must be a whole number from 0 to 4294967295, got ${JSON.stringify(given)}`);
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000);
}

/**
 * How the run dies: everything at once (power loss, the supervisor's kill -9 of the whole unit); only the CLI and
 * the provider hosts (the runner sees its CLI die); SIGTERM to the runner's group (it must take its run down
 * itself); or kill -9 of the runner's group only (the provider hosts, in groups of their own, must end themselves).
 */
export const KILL_WAYS = ["kill -9 of the whole run", "kill -9 of the CLI and the provider hosts", "SIGTERM to the runner's group", "kill -9 of the runner's group"] as const;
export type KillWay = (typeof KILL_WAYS)[number];

/**
 * Progress events in the CLI's display of an `up` (a step starting or finishing): the kill point is the k-th of
 * them, k random in [0, MAX_KILL_EVENT], plus a random delay. A first up of the full node shows 70 (counted in
 * bench/kill.ts runs here); the bound stays below that, so that a trial kills the run instead of watching it end
 * (with 90, three of ten trials found the run already finished).
 */
const PROGRESS = /: \((create|update|replace|delete|read)\)|--outputs:--/;
export const MAX_KILL_EVENT = 66;

export interface TrialResult {
  seed: number;
  way: KillWay;
  killAfterEvents: number;
  delayMs: number;
  /** Whether the run was still going when its kill point came (a run that finished first is still checked). */
  killed: boolean;
  /** Seconds from the start of the killed run to the kill. */
  killedAtSeconds: number;
  convergeUpSeconds: number;
}

function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/**
 * Processes of the node's runs still alive: found by the run marker, and independently by their working folder (the
 * CLI and the provider hosts run in the project folder), so a process the marker missed is seen too.
 */
export function survivors(node: TestNode): string[] {
  const found = new Set<number>(markedProcesses((id) => id.startsWith(`${node.runMarker}:`)).map((p) => p.pid));
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid !== process.pid && cwdOf(pid)?.startsWith(node.projectDir)) {
      try {
        if (!readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z")) found.add(pid);
      } catch {
        // gone
      }
    }
  }
  return [...found].map((pid) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim()}`;
    } catch {
      return `${pid}`;
    }
  });
}

/** Service folders whose readiness file vouches for a certificate that is missing, another one, or not the key's. */
export function readinessProblems(secretsRoot: string): string[] {
  if (!existsSync(secretsRoot)) return [];
  const problems: string[] = [];
  for (const service of readdirSync(secretsRoot, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
    const dir = join(secretsRoot, service);
    if (!existsSync(join(dir, "ready"))) continue;
    const ready = JSON.parse(readFileSync(join(dir, "ready"), "utf8"));
    if (!existsSync(join(dir, "cert.pem")) || !existsSync(join(dir, "key.pem"))) {
      problems.push(`${service}: ready, but its certificate or key is missing`);
      continue;
    }
    const certPem = readFileSync(join(dir, "cert.pem"), "utf8");
    const serial = new X509Certificate(certPem).serialNumber;
    if (serial.toLowerCase() !== String(ready.certificateSerial).toLowerCase()) problems.push(`${service}: ready names serial ${ready.certificateSerial}, cert.pem has ${serial}`);
    if (!keyMatchesCertificate(readFileSync(join(dir, "key.pem"), "utf8"), certPem)) problems.push(`${service}: key.pem does not match cert.pem`);
  }
  return problems;
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}

/** Throws with what went wrong; `log` gets one line per phase. */
export async function runKillTrial(seed: number, log: (line: string) => void = () => undefined): Promise<TrialResult> {
  const random = seededRandom(seed);
  const way = KILL_WAYS[Math.floor(random() * KILL_WAYS.length)];
  const killAfterEvents = Math.floor(random() * (MAX_KILL_EVENT + 1));
  const delayMs = Math.floor(random() * 1500);
  log(`seed ${seed}: ${way}, after progress event ${killAfterEvents} + ${delayMs} ms`);
  const full = new FullNode("kill");
  const { node } = full;
  try {
    await full.start();
    const started = Date.now();
    const run = node.spawnRun("up", {});
    let events = 0;
    let output = "";
    let killAt: (() => void) | undefined;
    const reachedKillPoint = new Promise<void>((resolve) => (killAt = resolve));
    if (killAfterEvents === 0) killAt!();
    const onData = (chunk: Buffer) => {
      output += chunk;
      for (const line of chunk.toString().split("\n")) if (PROGRESS.test(line) && ++events === killAfterEvents) killAt!();
    };
    run.stdout!.on("data", onData);
    run.stderr!.on("data", (chunk: Buffer) => (output += chunk));
    const exited = new Promise<void>((resolve) => run.once("exit", () => resolve()));
    const finishedFirst = await Promise.race([exited.then(() => true), reachedKillPoint.then(() => new Promise((r) => setTimeout(r, delayMs))).then(() => false)]);
    const killedAtSeconds = (Date.now() - started) / 1000;
    const killed = !finishedFirst && run.exitCode === null && run.signalCode === null;
    if (killed) {
      const marked = markedProcesses((id) => id.startsWith(`${node.runMarker}:`)).map((p) => p.pid);
      const kill = (pid: number, signal: NodeJS.Signals) => {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      };
      if (way === "kill -9 of the whole run") {
        kill(-run.pid!, "SIGKILL");
        for (const pid of marked) kill(pid, "SIGKILL");
      } else if (way === "kill -9 of the CLI and the provider hosts") {
        for (const pid of marked) kill(pid, "SIGKILL");
      } else if (way === "kill -9 of the runner's group") {
        kill(-run.pid!, "SIGKILL");
      } else {
        // As a supervisor or a terminal stops it: the signal goes to the runner's process group (tsx, the runner, the CLI).
        kill(-run.pid!, "SIGTERM");
      }
      log(`killed at ${killedAtSeconds.toFixed(1)} s, after ${events} progress events (${marked.length} marked processes)`);
    } else {
      log(`the run finished before its kill point (${events} progress events, status ${run.exitCode})`);
    }
    if (!(await until(() => run.exitCode !== null || run.signalCode !== null, 60_000))) {
      process.kill(-run.pid!, "SIGKILL");
      throw new Error(`the runner did not exit within 60 s of the kill (${way})\n${output}`);
    }
    // Provider hosts whose runner died end themselves within a second or so (run-guard.js): wait for that first.
    if (!(await until(() => survivors(node).length === 0, 15_000))) {
      const alive = survivors(node);
      for (const p of alive) process.kill(Number(p.split(" ")[0]), "SIGKILL");
      throw new Error(`processes of the killed run outlived it (${way}):\n${alive.join("\n")}`);
    }
    // What the killed run left: no readiness file may vouch for a certificate that is not there.
    const leftBehind = readinessProblems(node.secretsRoot);
    if (leftBehind.length > 0) throw new Error(`after the kill: ${leftBehind.join("; ")}`);

    // The operator's way back: release the lock of the killed run (none if it finished), then up.
    try {
      node.pulumi("cancel", "--stack", node.stack, "--yes");
    } catch {
      // not locked
    }
    const upStarted = Date.now();
    const up = await node.run("up");
    const convergeUpSeconds = (Date.now() - upStarted) / 1000;
    expectOk(up);
    log(`converging up: ${convergeUpSeconds.toFixed(1)} s`);
    const preview = expectOk(await node.run("preview"));
    if (changedNames(preview).length > 0) throw new Error(`the second preview is not a no-op: ${changedNames(preview).join(", ")}\n${preview.stdout}`);

    // The store is unsealed, and the keys in custody are the ones that open it.
    if (full.store.status().sealed !== false) throw new Error("the secret store is not unsealed after the converging up");
    const keys = readCustody(full.custodyFile, FULL_NODE_CUSTODY_SECRET)!.keys;
    const endpoint = { address: full.store.address, caPem: readFileSync(join(node.secretsRoot, "ca.pem"), "utf8") };
    await revokeSelf(endpoint, await generateRootToken(endpoint, keys));
    const problems = readinessProblems(node.secretsRoot);
    if (problems.length > 0) throw new Error(`after converging: ${problems.join("; ")}`);
    const services = readdirSync(node.secretsRoot, { withFileTypes: true }).filter((d) => d.isDirectory());
    const notReady = services.filter((d) => !existsSync(join(node.secretsRoot, d.name, "ready"))).map((d) => d.name);
    if (notReady.length > 0) throw new Error(`after converging, no readiness file for ${notReady.join(", ")}`);
    if (survivors(node).length > 0) throw new Error(`processes of the converging runs outlived them: ${survivors(node).join("; ")}`);
    return { seed, way, killAfterEvents, delayMs, killed, killedAtSeconds, convergeUpSeconds };
  } catch (err) {
    // At the end of the message, where a truncated CI log still shows it: the servers' own words (a port someone
    // else took, a certificate refused) and how to replay the trial.
    if (err instanceof Error) err.message += `\n${full.serverLogTails()}\nreplay: EDGE_KILL_SEED=${seed} EDGE_KILL_TRIALS=1 (${way}, after progress event ${killAfterEvents} + ${delayMs} ms)`;
    throw err;
  } finally {
    for (const p of survivors(node)) {
      try {
        process.kill(Number(p.split(" ")[0]), "SIGKILL");
      } catch {
        // gone
      }
    }
    await full.stop();
  }
}
