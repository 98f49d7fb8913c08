// Several fleet runners on one fleet (one project's node stacks in a shared PostgreSQL state backend): how they split
// it without running a node twice. Everything lives in the backend's own database, beside Pulumi's table:
//  - a run: the first runner of a command opens it (edge_fleet_runs); runners started while one of its runners is
//    alive join it; every runner holds a shared advisory lock on the run while it works, so "is anyone still in
//    this run" is one try of the exclusive lock;
//  - a node's claim: a session advisory lock on (project, stack), held by the runner's own connection for as long
//    as it runs the node. PostgreSQL drops it when that connection ends, so a runner that dies (SIGKILL, a power
//    cut, a lost network) releases its nodes by itself, and a lock that is held always has a live holder: no
//    timeout guesses, and a node is never taken from a runner that is still running it;
//  - a node's record (edge_fleet_nodes): its state in the run (running, ok, failed), who ran it, when, its one-line
//    error and the digest of its config file; `fleet status` and every runner's summary read it.
// A runner that finds a node's record `running` while it holds the node's lock knows the holder's claim ended: it
// takes the node over (and clears the Pulumi stack lock the dead run left, runner.ts), but only once the holder's
// CLI cannot be running any more, wherever it ran:
//  - a runner that dies takes its CLIs with it (bin/runner-cli: the kernel SIGKILLs them with their parent);
//  - a runner whose claim ends while it lives (its connection cut by the network, the server, an admin) learns it
//    at its next renewal (a query on that connection every CLAIM_RENEW_MS, answered within CLAIM_RENEW_MS) and
//    kills the node's CLI at once;
//  - so the taker waits until CLAIM_LEASE_MS have passed since the holder's last renewal (the server's clock, so
//    two machines' clocks do not matter): by then the holder has either renewed (impossible: its connection, which
//    alone renews, is gone) or killed its CLI.
import { hostname } from "node:os";
import { Client, QueryConfig } from "pg";
import type { FleetCommand } from "./args";
import type { PostgresBackend } from "./state-backend";

export const CLAIMS_SQL = [
  `CREATE TABLE IF NOT EXISTS edge_fleet_runs (project TEXT NOT NULL, run_id TEXT NOT NULL, command TEXT NOT NULL, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), finished_at TIMESTAMPTZ, PRIMARY KEY (project, run_id))`,
  `CREATE TABLE IF NOT EXISTS edge_fleet_nodes (project TEXT NOT NULL, stack TEXT NOT NULL, run_id TEXT NOT NULL, state TEXT NOT NULL, runner TEXT NOT NULL, host TEXT NOT NULL, node_run_id TEXT, started_at TIMESTAMPTZ, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), seconds DOUBLE PRECISION, error TEXT, config_digest TEXT, PRIMARY KEY (project, stack))`,
];

export interface NodeRow {
  stack: string;
  runId: string;
  state: "running" | "ok" | "failed";
  runner: string;
  host: string;
  nodeRunId: string | null;
  updatedAt: Date;
  seconds: number | null;
  error: string | null;
  configDigest: string | null;
}

/** How often a runner renews a node it runs (and how long one renewal may take before the claim counts as lost). */
export const CLAIM_RENEW_MS = 5_000;
/**
 * How long after a holder's last renewal another runner may take its node over: two renewals and their timeouts,
 * plus room for a loaded machine, so a live holder whose claim ended has killed its CLI by then.
 */
export const CLAIM_LEASE_MS = 30_000;

/** The one advisory lock namespace of the fleet (first key), the lock's object (second key): both int4 hashes. */
const NODE_KEY = "hashtext('edge-security fleet node'), hashtext($1 || '/' || $2)";
const RUN_KEY = "hashtext('edge-security fleet run'), hashtext($1 || '/' || $2)";

function rowOf(r: Record<string, unknown>): NodeRow {
  return { stack: r.stack as string, runId: r.run_id as string, state: r.state as NodeRow["state"], runner: r.runner as string, host: r.host as string, nodeRunId: r.node_run_id as string | null, updatedAt: r.updated_at as Date, seconds: r.seconds as number | null, error: r.error as string | null, configDigest: r.config_digest as string | null };
}

/** `applicationName`: how the connection shows in the server's pg_stat_activity (an operator sees who holds what). */
async function connect(backend: PostgresBackend, applicationName?: string): Promise<Client> {
  const client = new Client({ ...backend.client, ...(applicationName ? { application_name: applicationName.slice(0, 63) } : {}) });
  // A lost connection surfaces on the next query; an idle one's error must not crash the runner.
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** A node this runner holds: its own connection, whose session holds the node's advisory lock. */
export class NodeClaim {
  private renewal?: NodeJS.Timeout;
  /** Between hold() and finished()/release(): a renewal's failure or the connection's end then means a lost claim. */
  private holding = false;
  /** Why the claim ended while this runner held it (undefined: it holds it). */
  lost?: string;

  constructor(
    readonly stack: string,
    private readonly client: Client,
    private readonly claims: FleetClaims,
  ) {}

  /**
   * Renews the claim of the node run `nodeRunId` every CLAIM_RENEW_MS until finished() or release(); `onLost` is
   * called once if the claim ends under this runner (the connection ends, or a renewal fails or is late): the
   * caller must stop the node's CLI at once, another runner takes the node over once the lease has run out.
   */
  hold(nodeRunId: string, onLost: (reason: string) => void): void {
    this.holding = true;
    const lose = (reason: string) => {
      if (!this.holding || this.lost !== undefined) return;
      this.lost = reason;
      clearInterval(this.renewal);
      onLost(reason);
    };
    this.client.on("end", () => lose("its connection to the backend ended"));
    this.client.on("error", (err) => lose(`its connection to the backend failed: ${err.message.split("\n")[0]}`));
    this.renewal = setInterval(() => {
      // query_timeout: node-postgres reads it from the query's config (client.js); its types do not list it.
      const renew = {
        text: "UPDATE edge_fleet_nodes SET updated_at = now() WHERE project = $1 AND stack = $2 AND node_run_id = $3 AND state = 'running'",
        values: [this.claims.project, this.stack, nodeRunId],
        query_timeout: CLAIM_RENEW_MS,
      };
      this.client
        .query(renew as QueryConfig)
        .then(
          (r) => r.rowCount !== 1 && lose("its record in the backend was changed by another runner"),
          (err: Error) => lose(`a renewal failed: ${err.message.split("\n")[0]}`),
        );
    }, CLAIM_RENEW_MS);
  }

  /**
   * Milliseconds until the lease of the node's last holder runs out (0: it has): measured on the server's clock from
   * the holder's last renewal (its record's updated_at).
   */
  async leaseLeft(): Promise<number> {
    const { rows } = await this.client.query(
      "SELECT GREATEST(0, EXTRACT(EPOCH FROM (updated_at + make_interval(secs => $3) - now())) * 1000)::float8 AS left_ms FROM edge_fleet_nodes WHERE project = $1 AND stack = $2",
      [this.claims.project, this.stack, CLAIM_LEASE_MS / 1000],
    );
    return rows[0] ? Number(rows[0].left_ms) : 0;
  }

  /** The node's record before this runner touched it (undefined: never run in this backend). */
  async record(): Promise<NodeRow | undefined> {
    const { rows } = await this.client.query("SELECT * FROM edge_fleet_nodes WHERE project = $1 AND stack = $2", [this.claims.project, this.stack]);
    return rows[0] ? rowOf(rows[0]) : undefined;
  }

  async running(nodeRunId: string): Promise<void> {
    await this.client.query(
      `INSERT INTO edge_fleet_nodes (project, stack, run_id, state, runner, host, node_run_id, started_at, updated_at) VALUES ($1, $2, $3, 'running', $4, $5, $6, now(), now())
       ON CONFLICT (project, stack) DO UPDATE SET run_id = $3, state = 'running', runner = $4, host = $5, node_run_id = $6, started_at = now(), updated_at = now(), seconds = NULL, error = NULL, config_digest = NULL`,
      [this.claims.project, this.stack, this.claims.runId, this.claims.runner, hostname(), nodeRunId],
    );
  }

  /** The node's end in this run: `ok` (with its config digest) or `failed` (with its one-line error). */
  async finished(state: "ok" | "failed", fields: { seconds: number; error?: string; configDigest?: string }): Promise<void> {
    this.holding = false;
    clearInterval(this.renewal);
    await this.client.query("UPDATE edge_fleet_nodes SET state = $3, seconds = $4, error = $5, config_digest = $6, updated_at = now() WHERE project = $1 AND stack = $2", [this.claims.project, this.stack, state, fields.seconds, fields.error ?? null, fields.configDigest ?? null]);
  }

  /** Lets the node go (its lock ends with the connection). */
  async release(): Promise<void> {
    this.holding = false;
    clearInterval(this.renewal);
    await this.client.end().catch(() => undefined);
  }
}

export class FleetClaims {
  runId = "";
  /** Connections waiting for a node's lock: ended on a stop, so the waits return. */
  private readonly waiting = new Set<Client>();

  private constructor(
    private readonly backend: PostgresBackend,
    private readonly main: Client,
    readonly project: string,
    readonly runner: string,
  ) {}

  static async open(backend: PostgresBackend, project: string, runner: string): Promise<FleetClaims> {
    const main = await connect(backend);
    for (const statement of CLAIMS_SQL) await main.query(statement);
    return new FleetClaims(backend, main, project, runner);
  }

  /**
   * Joins the run of `command` going on (a live runner is in it), or with `resume` the project's latest run, or
   * opens a new one. One runner at a time decides (a transaction-scoped advisory lock on the project).
   * Returns whether it joined an existing run. Throws a one-line Error for a run of another command going on.
   */
  async joinRun(command: FleetCommand, resume: boolean, newRunId: string): Promise<{ runId: string; joined: boolean }> {
    const c = this.main;
    await c.query("BEGIN");
    try {
      await c.query(`SELECT pg_advisory_xact_lock(${RUN_KEY})`, [this.project, "*"]);
      const { rows } = await c.query("SELECT run_id, command, finished_at FROM edge_fleet_runs WHERE project = $1 ORDER BY started_at DESC LIMIT 1", [this.project]);
      const latest = rows[0] as { run_id: string; command: string; finished_at: Date | null } | undefined;
      let live = false;
      if (latest && !latest.finished_at) {
        const free = (await c.query(`SELECT pg_try_advisory_lock(${RUN_KEY}) AS free`, [this.project, latest.run_id])).rows[0].free as boolean;
        if (free) await c.query(`SELECT pg_advisory_unlock(${RUN_KEY})`, [this.project, latest.run_id]);
        live = !free;
      }
      let runId: string;
      let joined = false;
      if (live && latest!.command !== command) {
        throw new Error(`another fleet run of this project (\`${latest!.command}\`, run ${latest!.run_id}) is going on in the shared backend; run \`${latest!.command}\` to join it, or wait for it`);
      } else if (live || (resume && latest)) {
        if (latest!.command !== command) throw new Error(`--resume: the latest run (${latest!.run_id}) was \`${latest!.command}\`, not \`${command}\``);
        runId = latest!.run_id;
        joined = true;
        await c.query("UPDATE edge_fleet_runs SET finished_at = NULL WHERE project = $1 AND run_id = $2", [this.project, runId]);
      } else {
        if (resume) throw new Error("--resume: no earlier fleet run of this project in the shared backend");
        // An abandoned run (its runners all died) ends here: a new run starts afresh, as without a shared backend.
        if (latest && !latest.finished_at) await c.query("UPDATE edge_fleet_runs SET finished_at = now() WHERE project = $1 AND run_id = $2", [this.project, latest.run_id]);
        runId = newRunId;
        await c.query("INSERT INTO edge_fleet_runs (project, run_id, command) VALUES ($1, $2, $3)", [this.project, runId, command]);
      }
      // This runner is in the run until its connection ends.
      await c.query(`SELECT pg_advisory_lock_shared(${RUN_KEY})`, [this.project, runId]);
      await c.query("COMMIT");
      this.runId = runId;
      return { runId, joined };
    } catch (err) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  }

  /** The node's claim if no other runner holds it now; `wait`: blocks until its holder lets go or is gone. */
  async claim(stack: string, wait: boolean): Promise<NodeClaim | undefined> {
    const client = await connect(this.backend, `edge-security fleet node ${stack}`);
    try {
      if (wait) {
        this.waiting.add(client);
        await client.query(`SELECT pg_advisory_lock(${NODE_KEY})`, [this.project, stack]);
        this.waiting.delete(client);
      } else if (!(await client.query(`SELECT pg_try_advisory_lock(${NODE_KEY}) AS got`, [this.project, stack])).rows[0].got) {
        await client.end();
        return undefined;
      }
    } catch (err) {
      this.waiting.delete(client);
      await client.end().catch(() => undefined);
      throw err;
    }
    return new NodeClaim(stack, client, this);
  }

  /** Ends every wait for a node's lock (a stop): those claims fail and their nodes are not started. */
  cancelWaits(): void {
    for (const c of this.waiting) void c.end().catch(() => undefined);
  }

  /** Leaves the run; the last runner out marks it finished. */
  async close(): Promise<void> {
    const c = this.main;
    try {
      await c.query(`SELECT pg_advisory_unlock_shared(${RUN_KEY})`, [this.project, this.runId]);
      const free = (await c.query(`SELECT pg_try_advisory_lock(${RUN_KEY}) AS free`, [this.project, this.runId])).rows[0].free as boolean;
      if (free) await c.query("UPDATE edge_fleet_runs SET finished_at = now() WHERE project = $1 AND run_id = $2", [this.project, this.runId]);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

export interface StatusRow {
  stack: string;
  /** done: ok in the run; running: its holder is alive; failed; stalled: recorded running, its holder is gone (the next runner takes it over); waiting: not run in this run yet. */
  state: "done" | "running" | "failed" | "stalled" | "waiting";
  runner: string | null;
  updatedAt: Date | null;
  seconds: number | null;
  error: string | null;
}

/** The fleet as the backend sees it: the latest run, and each of `stacks` (plus any node recorded) in it. */
export async function fleetStatus(backend: PostgresBackend, project: string, stacks: string[]): Promise<{ run?: { runId: string; command: string; startedAt: Date; finishedAt: Date | null }; nodes: StatusRow[] }> {
  const c = await connect(backend);
  try {
    for (const statement of CLAIMS_SQL) await c.query(statement);
    const run = (await c.query("SELECT run_id, command, started_at, finished_at FROM edge_fleet_runs WHERE project = $1 ORDER BY started_at DESC LIMIT 1", [project])).rows[0];
    const records = new Map<string, NodeRow>();
    for (const r of (await c.query("SELECT * FROM edge_fleet_nodes WHERE project = $1", [project])).rows) records.set(r.stack, rowOf(r));
    const names = [...new Set([...stacks, ...records.keys()])].sort();
    const nodes: StatusRow[] = [];
    for (const stack of names) {
      const rec = records.get(stack);
      if (!run || !rec || rec.runId !== run.run_id) {
        nodes.push({ stack, state: "waiting", runner: null, updatedAt: null, seconds: null, error: null });
        continue;
      }
      let state: StatusRow["state"] = rec.state === "ok" ? "done" : rec.state;
      if (rec.state === "running") {
        // Held means a live holder; a free lock on a node recorded running means its runner is gone.
        const free = (await c.query(`SELECT pg_try_advisory_lock(${NODE_KEY}) AS free`, [project, stack])).rows[0].free as boolean;
        if (free) await c.query(`SELECT pg_advisory_unlock(${NODE_KEY})`, [project, stack]);
        state = free ? "stalled" : "running";
      }
      nodes.push({ stack, state, runner: rec.runner, updatedAt: rec.updatedAt, seconds: rec.seconds, error: rec.error });
    }
    return { run: run && { runId: run.run_id, command: run.command, startedAt: run.started_at, finishedAt: run.finished_at }, nodes };
  } finally {
    await c.end().catch(() => undefined);
  }
}
