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
import { changedNames, expectOk, HOST_DIRS, HostKind, RunResult, TestNode } from "./harness";

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
/** A plain `pulumi up` (no runner) dies one way: its CLI killed outright, which takes none of its children down. */
export const PLAIN_KILL_WAY = "kill -9 of the plain CLI";
export type KillWay = (typeof KILL_WAYS)[number] | typeof PLAIN_KILL_WAY;

/**
 * What runs the trial's `up`: the runner (`npm run edge`, Automation API) or a plain `pulumi up` typed in the
 * project folder with a language host (HostKind), whose converging runs then come from a clean environment.
 */
export type TrialVia = "runner" | HostKind;

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
  via: TrialVia;
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

/** Pulumi's official language host (a Go binary, not this project's code): it ends on its own, up to 5 minutes after its CLI (its health check). */
function isOfficialLanguageHost(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === join(HOST_DIRS.official, "pulumi-language-nodejs");
  } catch {
    return false;
  }
}

/**
 * Processes of the node's runs still alive: found by the run marker, and independently by their working folder (the
 * CLI and the provider hosts run in the project folder), so a process the marker missed is seen too. `except`:
 * processes not counted (they are returned in `excepted`).
 */
export function survivors(node: TestNode, except: (pid: number) => boolean = () => false, excepted: string[] = []): string[] {
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
  const describe = (pid: number) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim()}`;
    } catch {
      return `${pid}`;
    }
  };
  excepted.push(...[...found].filter(except).map(describe));
  return [...found].filter((pid) => !except(pid)).map(describe);
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
export async function runKillTrial(seed: number, log: (line: string) => void = () => undefined, via: TrialVia = "runner"): Promise<TrialResult> {
  const random = seededRandom(seed);
  const drawn = KILL_WAYS[Math.floor(random() * KILL_WAYS.length)];
  const way: KillWay = via === "runner" ? drawn : PLAIN_KILL_WAY;
  const killAfterEvents = Math.floor(random() * (MAX_KILL_EVENT + 1));
  const delayMs = Math.floor(random() * 1500);
  log(`seed ${seed}: ${via === "runner" ? "the runner" : `plain pulumi, ${via} language host`}: ${way}, after progress event ${killAfterEvents} + ${delayMs} ms`);
  const full = new FullNode(`kill-${via}`);
  const { node } = full;
  if (via !== "runner") node.host = via;
  // The converging runs: the runner's, or plain pulumi from a clean environment (nothing of scripts/env.sh).
  const converge = (command: "up" | "preview"): Promise<RunResult> => (via === "runner" ? node.run(command) : node.cli(command, [], {}, { clean: true }));
  try {
    await full.start();
    const started = Date.now();
    const run = via === "runner" ? node.spawnRun("up", {}) : node.spawnCli("up");
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
      if (way === PLAIN_KILL_WAY) {
        kill(run.pid!, "SIGKILL");
      } else if (way === "kill -9 of the whole run") {
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
    // Provider hosts whose runner or CLI died end themselves within a second or so (run-guard.js, and
    // end-with-parent.js in the provider host and the project's language host): wait for that first. Pulumi's
    // official language host is Pulumi's code, not this project's: it is named in the log, then killed here.
    const pulumis: string[] = [];
    if (!(await until(() => survivors(node, isOfficialLanguageHost).length === 0, 15_000))) {
      const alive = survivors(node);
      for (const p of alive) process.kill(Number(p.split(" ")[0]), "SIGKILL");
      throw new Error(`processes of the killed run outlived it (${way}):\n${alive.join("\n")}`);
    }
    survivors(node, isOfficialLanguageHost, pulumis);
    if (pulumis.length > 0) log(`left running by Pulumi's own code (its health check ends it within 5 minutes), killed by the test: ${pulumis.join("; ")}`);
    for (const p of pulumis) process.kill(Number(p.split(" ")[0]), "SIGKILL");
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
    const up = await converge("up");
    const convergeUpSeconds = (Date.now() - upStarted) / 1000;
    expectOk(up);
    log(`converging up: ${convergeUpSeconds.toFixed(1)} s`);
    const preview = expectOk(await converge("preview"));
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
    return { seed, via, way, killAfterEvents, delayMs, killed, killedAtSeconds, convergeUpSeconds };
  } catch (err) {
    // At the end of the message, where a truncated CI log still shows it: the servers' own words (a port someone
    // else took, a certificate refused) and how to replay the trial.
    if (err instanceof Error) err.message += `\n${full.serverLogTails()}\nreplay: EDGE_KILL_SEED=${seed} EDGE_KILL_TRIALS=1 (${via}: ${way}, after progress event ${killAfterEvents} + ${delayMs} ms)`;
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
