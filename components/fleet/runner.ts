// The fleet command: one Automation API operation (preview, up or refresh) per node stack of one project folder,
// at most `concurrency` at a time (p-limit). Each node's program (index.ts) runs in a process of its own under the
// CLI's language host, as `pulumi up` in the folder runs it: served inline from this one process, the programs of
// nodes running side by side were not kept apart (one node failed with another node's config error). One node's failure stops no other; a signal stops the run cleanly; the journal
// (journal.ts) lets `--resume` skip the nodes that converged.
import { createWriteStream, existsSync, readdirSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout } from "node:timers/promises";
import { join, resolve } from "node:path";
import pLimit from "p-limit";
import { EngineEvent, LocalWorkspace } from "@pulumi/pulumi/automation";
import { backendDir, backendUrl, openProjectStack, projectPulumiCommand, PROJECT_ROOT, requirePassphrase } from "../../bin/automation";
import { killOrphansOf, killRun, newRunId, stackMarker } from "../../bin/run-processes";
import { FleetArgs, FleetCommand, FleetUsageError } from "./args";
import { hasOrgRole } from "./config";
import { changeCount, failureLines, NodeView, oneLineError, policyViolation, summaryTable } from "./format";
import { configDigest, convergedNodes, settingsDigest, Journal, journalDir, NodeRecord, readJournal, writeJournal } from "./journal";
import { ProgressDisplay, ProgressStream } from "./progress";
import { FleetClaims, NodeClaim, NodeRow } from "./claims";
import { fleetBackend } from "./state-backend";

export interface FleetReport {
  runId: string;
  command: FleetCommand;
  /** The signal that stopped the run, if one did. */
  interruptedBy?: NodeJS.Signals;
  journalFile: string;
  logDir: string;
  nodes: NodeView[];
  /** Shared backend: the run this runner took part in (with other runners, maybe) and this runner's name. */
  shared?: { runId: string; runner: string; joined: boolean };
}

export interface FleetIo {
  /** The live display (stderr). */
  progress: ProgressStream;
  /** Prints the report when a second signal ends the run at once (the process exits right after). */
  reportNow(report: FleetReport): void;
}

/** How many runs' log folders are kept (the current one included). */
const KEPT_LOG_RUNS = 5;

/** Whether a stack's config file gives it the org role (the org stack is the org's to run, with its own passphrase). */
function isOrgStack(file: string): boolean {
  try {
    return hasOrgRole(readFileSync(file, "utf8"), file);
  } catch (err) {
    throw new FleetUsageError((err as Error).message.split("\n")[0]);
  }
}

/**
 * The stack config folder of a project (Pulumi.yaml's stackConfigDir), the node stacks named by a config file there
 * (what `--all` runs), and the org stacks left out of them.
 */
export async function stackConfigs(projectDir: string): Promise<{ dir: string; stacks: string[]; orgStacks: string[]; project: string }> {
  if (!existsSync(join(projectDir, "Pulumi.yaml"))) throw new FleetUsageError(`--cwd: ${projectDir} has no Pulumi.yaml (not a project folder)`);
  const ws = await LocalWorkspace.create({ workDir: projectDir, pulumiCommand: await projectPulumiCommand() });
  // Pulumi.yaml's stackConfigDir is not in the SDK's ProjectSettings type, but the parsed settings carry it.
  const settings = (await ws.projectSettings()) as { name: string; stackConfigDir?: string };
  const dir = join(projectDir, settings.stackConfigDir ?? ".");
  const stacks = existsSync(dir)
    ? readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort()
    : [];
  const orgStacks = stacks.filter((stack) => isOrgStack(join(dir, `Pulumi.${stack}.yaml`)));
  return { dir, stacks: stacks.filter((stack) => !orgStacks.includes(stack)), orgStacks, project: settings.name };
}

/** Whether `pid` is a live fleet runner (a journal left by a SIGKILLed run names a pid that may be reused). */
function fleetRunnerAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    return /fleet/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * Whether a SIGINT most likely came from the terminal's Ctrl-C: this process is in the foreground process group
 * of its terminal, and so are the CLIs it started, which then got the same SIGINT and are already cancelling.
 * (A second SIGINT from us would make a CLI stop at once, leaving its stack locked.)
 */
function terminalInterrupt(): boolean {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    const [pgrp, ttyNr, tpgid] = [Number(fields[2]), Number(fields[4]), Number(fields[5])];
    return ttyNr !== 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}

function pruneLogs(logsRoot: string, keep: string): void {
  const runs = existsSync(logsRoot) ? readdirSync(logsRoot).sort() : [];
  for (const run of runs.slice(0, Math.max(runs.length - KEPT_LOG_RUNS, 0))) if (run !== keep) rmSync(join(logsRoot, run), { recursive: true, force: true });
}

export async function runFleet(args: FleetArgs, io: FleetIo): Promise<FleetReport> {
  requirePassphrase();
  const projectDir = resolve(args.cwd ?? PROJECT_ROOT);
  const configs = await stackConfigs(projectDir);
  const configFile = (stack: string) => join(configs.dir, `Pulumi.${stack}.yaml`);
  const stacks = args.stacks ?? configs.stacks;
  if (stacks.length === 0) throw new FleetUsageError(`--all: no node stack config file (Pulumi.<stack>.yaml without role org) in ${configs.dir}`);
  const missing = stacks.find((s) => !existsSync(configFile(s)));
  if (missing !== undefined) throw new FleetUsageError(`--stacks: ${missing} has no stack config file (${configFile(missing)})`);

  const shared = fleetBackend(backendUrl());

  // The journal lives beside the state: in the file backend's folder, else in the project's .state folder.
  const dir = journalDir(backendDir() ?? join(projectDir, ".state"), projectDir);
  const previous = readJournal(dir);
  // With a shared backend, runners of one project meet there (claims.ts) instead of in this machine's journal.
  if (!shared && previous && !previous.finishedAt && fleetRunnerAlive(previous.pid)) {
    throw new FleetUsageError(`another fleet run of this project is going on (pid ${previous.pid}, run ${previous.runId}); wait for it or stop it first`);
  }
  let skip = new Map<string, string>();
  if (args.resume && !shared) {
    if (!previous) throw new FleetUsageError(`--resume: no earlier fleet run of this project to resume (no journal in ${dir})`);
    if (previous.command !== args.command) throw new FleetUsageError(`--resume: the earlier run (${previous.runId}) was \`${previous.command}\`, not \`${args.command}\``);
    skip = convergedNodes(previous, args.command, stacks, (s) => configDigest(configFile(s)));
  }

  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${process.pid}`;
  const runner = `${hostname()}:${process.pid}`;
  let claims: FleetClaims | undefined;
  let sharedRun: FleetReport["shared"];
  if (shared) {
    try {
      claims = await FleetClaims.open(shared, configs.project, runner);
      sharedRun = { ...(await claims.joinRun(args.command, args.resume, runId)), runner };
    } catch (err) {
      throw new FleetUsageError(`the shared backend ${shared.display}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  const logDir = join(dir, "logs", runId);
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  pruneLogs(join(dir, "logs"), runId);

  const views: NodeView[] = stacks.map((stack) =>
    skip.has(stack)
      ? { stack, state: "skipped", done: 0, seen: 0, convergedIn: skip.get(stack), configDigest: previous!.nodes[stack].configDigest, resources: previous!.nodes[stack].resources }
      : { stack, state: "pending", done: 0, seen: 0 },
  );
  const journal: Journal = { version: 1, runId, command: args.command, projectDir, pid: process.pid, startedAt: startedAt.toISOString(), nodes: {} };
  const record = () => {
    for (const v of views) {
      const { stack: _s, done: _d, seen: _n, startedAt: _t, ...rec } = v;
      journal.nodes[v.stack] = rec satisfies NodeRecord;
    }
    writeJournal(dir, journal);
  };
  record();

  const display = new ProgressDisplay(io.progress, `fleet ${args.command}`, views);
  display.start();
  if (!args.stacks && configs.orgStacks.length > 0) {
    display.notice(`fleet: --all leaves out the org stack(s) ${configs.orgStacks.join(", ")} (role org): run them on their own, e.g. npm run pulumi -- up --stack ${configs.orgStacks[0]}`);
  }
  for (const v of views) if (v.state === "skipped") display.changed(v, true);

  /** The runs going on: stack -> its run id (to kill its processes) and the abort that cancels its CLI. */
  const active = new Map<string, { runId: string; abort: AbortController }>();
  let interruptedBy: NodeJS.Signals | undefined;

  const stop = (signal: NodeJS.Signals) => {
    if (interruptedBy === undefined) {
      interruptedBy = signal;
      // The queued nodes see the flag and do not start. The running ones are cancelled the CLI's own way (one
      // SIGINT: it finishes the steps under way, records them and releases the stack's lock), unless Ctrl-C on
      // the terminal already reached them.
      claims?.cancelWaits();
      const forward = !(signal === "SIGINT" && terminalInterrupt());
      if (forward) for (const a of active.values()) a.abort.abort();
      display.notice(`fleet: ${signal}: stopping; ${active.size} running node(s) finish their current steps, no other node starts (${signal === "SIGINT" ? "Ctrl-C" : "the signal"} again stops them at once)`);
      return;
    }
    // Second signal: kill every process of the running nodes now. Their stacks stay locked.
    for (const [stack, a] of active) {
      killRun(a.runId);
      const v = views.find((x) => x.stack === stack)!;
      v.state = "cancelled";
      v.error = `killed while running; release the stack's lock with: npm run pulumi -- cancel --stack ${stack} --yes`;
    }
    record();
    display.stop();
    io.reportNow({ runId, command: args.command, interruptedBy, journalFile: join(dir, "journal.json"), logDir, nodes: views, shared: sharedRun });
    process.stderr.write(`fleet: ${signal} again: killed the running nodes' processes; resume with --resume\n`);
    process.exit(signal === "SIGINT" ? 130 : signal === "SIGHUP" ? 129 : 143);
  };
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => [s, () => stop(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);

  const runNode = async (view: NodeView, claim?: NodeClaim, takeover?: NodeRow): Promise<void> => {
    if (interruptedBy !== undefined) {
      view.state = "not started";
      record();
      display.changed(view, true);
      return;
    }
    const marker = stackMarker(view.stack, projectDir, backendUrl());
    // Provider hosts left by a killed run of this stack (~150 MB each): see run-processes.ts.
    const orphans = killOrphansOf(marker);
    if (orphans.length > 0) display.notice(`fleet: ${view.stack}: killed ${orphans.length} process(es) left behind by a killed run of this stack`);
    const nodeRunId = newRunId(marker);
    /** Why this runner's claim on the node ended while it ran it (a shared backend only). */
    let lostClaim: string | undefined;
    const abort = new AbortController();
    active.set(view.stack, { runId: nodeRunId, abort });
    view.state = "running";
    view.startedAt = Date.now();
    record();
    display.changed(view, true);

    // The CLI's display of this node (secrets shown as [secret] by the CLI) goes to the node's log only.
    const log = createWriteStream(join(logDir, `${view.stack}.log`), { mode: 0o600 });
    const diagnostics: string[] = [];
    /** Mandatory policy violations (--policy-pack): the reason a refused run stopped, so they come first. */
    const violations: string[] = [];
    const onEvent = (event: EngineEvent) => {
      if (event.resourcePreEvent) view.seen++;
      else if (event.resOutputsEvent) view.done++;
      else if (event.diagnosticEvent?.severity === "error") {
        const { urn, message } = event.diagnosticEvent;
        // A resource's error is named by the resource; the program's own (the Stack's) stands alone.
        const resource = urn && !/::pulumi:pulumi:Stack::/.test(urn) ? urn.split("::").pop() : undefined;
        diagnostics.push(resource ? `${resource}: ${message.trim()}` : message.trim());
      } else if (event.policyEvent?.enforcementLevel === "mandatory") {
        violations.push(policyViolation(event.policyEvent));
      } else return;
      display.changed(view, false);
    };
    const opts = { onEvent, onOutput: (s: string) => log.write(s), color: "never" as const, signal: abort.signal };
    // --policy-pack: every node's preview and update run the packs, as `pulumi preview --policy-pack` does.
    const policyOpts = args.policyPacks.length > 0 ? { policyPacks: args.policyPacks } : {};
    try {
      const stack = await openProjectStack(view.stack, projectDir, nodeRunId);
      if (takeover) {
        // The node's claim is ours and its record says running: the claim of the runner that ran it ended (the
        // runner died, or its connection did). Its CLI is dead once the lease has run out (claims.ts), wherever it
        // ran. What it left: on this machine, its processes; in the backend, the stack's lock. Both go before the
        // node runs again.
        const left = await claim!.leaseLeft();
        if (left > 0) {
          display.notice(`fleet: ${view.stack}: the claim of runner ${takeover.runner} ended; waiting ${Math.ceil(left / 1000)} s for its lease to run out before taking the node over`);
          await setTimeout(left);
        }
        if (interruptedBy !== undefined) throw new Error("stopped before the operation started");
        const killed = takeover.host === hostname() && takeover.nodeRunId ? killRun(takeover.nodeRunId).length : 0;
        await stack.cancel().catch(() => undefined);
        display.notice(`fleet: ${view.stack}: taking over from runner ${takeover.runner}, whose claim ended${killed ? ` (killed ${killed} process(es) it left)` : ""}; cancelled the stack lock it left`);
      }
      await claim?.running(nodeRunId);
      // From here the claim is renewed; if it ends under this runner, the node's CLI is killed at once, so it can
      // never write the state while another runner has taken the node over.
      claim?.hold(nodeRunId, (reason) => {
        lostClaim = reason;
        const killed = killRun(nodeRunId).length;
        display.notice(`fleet: ${view.stack}: lost its claim in the shared backend (${reason}); killed its CLI (${killed} process(es)); another runner takes the node over`);
      });
      // An abort before the operation starts would never reach its CLI (the listener is added when it starts).
      if (abort.signal.aborted || interruptedBy !== undefined) throw new Error("stopped before the operation started");
      if (args.command === "up") view.changes = (await stack.up({ ...opts, ...policyOpts })).summary.resourceChanges;
      else if (args.command === "preview") view.changes = (await stack.preview({ ...opts, ...policyOpts })).changeSummary;
      else view.changes = (await stack.refresh(opts)).summary.resourceChanges;
      view.state = "ok";
      view.resources = view.seen;
      view.configDigest = configDigest(configFile(view.stack));
      view.convergedIn = runId;
    } catch (err) {
      view.state = interruptedBy !== undefined ? "cancelled" : "failed";
      view.error = lostClaim !== undefined ? `lost its claim in the shared backend (${lostClaim}); its CLI was killed: the next fleet run takes it over` : oneLineError([...violations, ...diagnostics], err, view.stack);
    } finally {
      view.seconds = (Date.now() - view.startedAt) / 1000;
      // A cancelled node stays `running` in the backend: its claim ends with this runner, so the next runner takes it
      // over. So does a node whose claim was lost (nothing can be written on that connection any more).
      if (view.state !== "cancelled" && lostClaim === undefined) await claim?.finished(view.state === "ok" ? "ok" : "failed", { seconds: view.seconds, error: view.error, configDigest: settingsDigest(configFile(view.stack)) }).catch(() => undefined);
      active.delete(view.stack);
      log.end();
      // Nothing of the node's run outlives it (the CLI normally ends its provider hosts itself).
      killRun(nodeRunId);
      record();
      display.changed(view, true);
    }
  };

  /**
   * A node of a shared backend: run it if this runner gets its claim (at once, or with `wait` once its holder lets
   * go or is gone) and the run has not done it yet; a node another runner holds is put back for later.
   */
  const held: NodeView[] = [];
  const runClaimed = async (view: NodeView, wait: boolean): Promise<void> => {
    let claim: NodeClaim | undefined;
    try {
      if (interruptedBy === undefined) claim = await claims!.claim(view.stack, wait);
    } catch (err) {
      if (interruptedBy === undefined) {
        view.state = "failed";
        view.error = `the shared backend: ${(err as Error).message.split("\n")[0]}`;
        record();
        display.changed(view, true);
        return;
      }
    }
    if (interruptedBy !== undefined) return runNode(view);
    if (!claim) {
      view.state = "held";
      held.push(view);
      record();
      display.changed(view, true);
      return;
    }
    try {
      const rec = await claim.record();
      const inThisRun = rec && rec.runId === sharedRun!.runId;
      if (inThisRun && (rec.state === "failed" || (rec.state === "ok" && rec.configDigest === settingsDigest(configFile(view.stack))))) {
        // Done in this run (by another runner, or by this one before it was restarted): not run twice.
        Object.assign(view, { state: rec.state === "ok" ? "skipped" : "failed", runner: rec.runner, seconds: rec.seconds ?? undefined, convergedIn: sharedRun!.runId, });
        if (rec.state === "failed") view.error = `on runner ${rec.runner}: ${rec.error ?? "failed"}`;
        record();
        display.changed(view, true);
        return;
      }
      view.state = "pending";
      await runNode(view, claim, rec?.state === "running" ? rec : undefined);
    } finally {
      await claim.release();
    }
  };

  const limit = pLimit(args.concurrency);
  try {
    const pending = views.filter((v) => v.state === "pending");
    if (claims) {
      await Promise.all(pending.map((v) => limit(() => runClaimed(v, false))));
      // The nodes other runners held: wait for each (its runner ends it, or dies and leaves it to this one).
      await Promise.all(held.splice(0).map((v) => limit(() => runClaimed(v, true))));
    } else {
      await Promise.all(pending.map((v) => limit(() => runNode(v))));
    }
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    display.stop();
    await claims?.close().catch(() => undefined);
  }
  journal.finishedAt = new Date().toISOString();
  journal.outcome = interruptedBy ? "interrupted" : "completed";
  record();
  return { runId, command: args.command, interruptedBy, journalFile: join(dir, "journal.json"), logDir, nodes: views, shared: sharedRun };
}

/** The report as one JSON document (--json): no secret, only counts, durations and one-line errors. */
export function reportJson(report: FleetReport): string {
  return JSON.stringify(
    {
      runId: report.runId,
      command: report.command,
      shared: report.shared ?? null,
      outcome: report.interruptedBy ? "interrupted" : "completed",
      interruptedBy: report.interruptedBy,
      journal: report.journalFile,
      logs: report.logDir,
      nodes: report.nodes.map((v) => ({ stack: v.stack, result: v.state, changes: v.changes ?? null, changeCount: changeCount(v.changes), resources: v.resources ?? null, seconds: v.seconds ?? null, error: v.error ?? null, convergedIn: v.convergedIn ?? null, runner: v.runner ?? null })),
    },
    null,
    2,
  );
}

export { failureLines, summaryTable };
