// A fleet in a shared state backend for real: Pulumi's postgres:// backend on a private loopback PostgreSQL with
// TLS (verify-full against its CA), scram and durable commits (test/support/state-backend-server.ts), the password
// in a PGPASSFILE only. Two fleet runners, each in its own project folder and home (as on two machines), split one
// fleet; one is killed with SIGKILL mid-node and the other takes that node over. Results are checked with openssl,
// psql and `pulumi stack export`.
import { ChildProcess, execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markedProcesses } from "../../bin/run-processes";
import { byStack, FleetProject, parseReport } from "../support/fleet-project";
import { expectOk, openssl, PROJECT_ROOT, TestNode } from "../support/harness";
import { sql } from "../support/postgres-server";
import { StateBackendServer, stateObjectText } from "../support/state-backend-server";

const NODES = ["n-1", "n-2", "n-3", "n-4", "n-5"];
const services = (stack: string) => [{ name: "svc-a", hostnames: [`a.${stack}.edge.local`] }, { name: "svc-b" }];

/** The runner's own Node process (tsx starts the script in a child): the one to SIGKILL. */
function runnerPid(tsx: ChildProcess): number {
  const children = readFileSync(`/proc/${tsx.pid}/task/${tsx.pid}/children`, "utf8").trim().split(/\s+/).map(Number);
  const pid = children.find((c) => readFileSync(`/proc/${c}/cmdline`, "utf8").includes("bin/fleet.ts"));
  if (!pid) throw new Error("the fleet runner's process was not found");
  return pid;
}

/** The Pulumi CLI processes (tools/bin/pulumi, not its hosts) of `project`'s runs of `stack`. */
function cliOf(project: FleetProject, stack: string): number[] {
  return markedProcesses((id) => id.startsWith(`${project.runMarker(stack)}:`))
    .map((p) => p.pid)
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/exe`).endsWith("/tools/bin/pulumi");
      } catch {
        return false;
      }
    });
}

function collect(child: ChildProcess): { out: () => string; err: () => string; exited: Promise<number> } {
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number>((done) => child.on("exit", (code, signal) => done(code ?? (signal ? -1 : 0))));
  return { out: () => out, err: () => err, exited };
}

describe("a fleet in a shared PostgreSQL state backend", { timeout: 1_800_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "edge-shared-"));
  chmodSync(root, 0o755);
  const server = new StateBackendServer(root);
  let a: FleetProject;
  let b: FleetProject;

  beforeAll(async () => {
    await server.start();
    await server.createDatabase("fleet_state");
    a = new FleetProject();
    b = new FleetProject({ nodesOf: a });
    for (const p of [a, b]) {
      p.backendEnv = server.env("fleet_state");
      for (const stack of NODES) p.addNode(stack, { services: services(stack) });
    }
  }, 300_000);
  afterAll(async () => {
    await server.stop();
    a?.cleanup();
    b?.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it("refuses a backend URL with a password in it, or without verified TLS, in one line before any node runs", async () => {
    const env = server.env("fleet_state");
    a.backendEnv = { ...env, PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL.replace("pulumi_state_owner@", `pulumi_state_owner:${server.statePassword}@`) };
    const withPassword = await a.run(["up", "--all"]);
    expect(withPassword.status).toBe(2);
    expect(withPassword.stderr).toBe("fleet: PULUMI_BACKEND_URL: carries a password; put it in a PGPASSFILE (0600) instead: the URL is printed and stored by the CLI\n");
    a.backendEnv = { ...env, PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL.replace("sslmode=verify-full", "sslmode=require") };
    const plain = await a.run(["up", "--all"]);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toMatch(/^fleet: PULUMI_BACKEND_URL: sslmode=require; a shared state backend needs sslmode=verify-full .*\n$/);
    a.backendEnv = env;
  });

  it("splits one fleet between two runners; a runner killed with SIGKILL mid-node leaves that node to the other", async () => {
    const runA = a.spawn(["up", "--all", "--concurrency", "1", "--json"]);
    const ioA = collect(runA);
    // B starts once A runs its first node, so A holds n-1 when B looks at it.
    await until(() => /^n-1 +running/m.test(ioA.err()), 300_000, () => ioA.err());
    const runB = b.spawn(["up", "--all", "--concurrency", "1", "--json"]);
    const ioB = collect(runB);
    // A is killed while it runs its second node: the node's claim goes with A's connection.
    let killedNode = "";
    await until(
      () => {
        const m = [...ioA.err().matchAll(/^(n-\d) +running/gm)].map((x) => x[1]);
        if (m.length >= 2) killedNode = m[1];
        return m.length >= 2;
      },
      600_000,
      () => `${ioA.err()}\n--- B\n${ioB.err()}`,
    );
    // A few seconds into the node: its CLI holds the stack's lock and has written checkpoints.
    await new Promise((r) => setTimeout(r, 4000));
    expect(cliOf(a, killedNode), "A's CLI for the node it runs").not.toEqual([]);
    process.kill(runnerPid(runA), "SIGKILL");
    await ioA.exited;
    // A's CLI is gone with A, before B takes over: B waits for the lease (claims.ts CLAIM_LEASE_MS) after A's last
    // renewal, so it has not killed it. (A CLI busy printing dies of SIGPIPE on A's closed pipe anyway; one waiting
    // silently on a step would not: runner-cli.test.ts shows bin/runner-cli ending that one too.)
    await until(() => cliOf(a, killedNode).length === 0, 3000, () => `A's CLI still runs: ${JSON.stringify(cliOf(a, killedNode))}`);
    expect(ioB.err()).not.toMatch(new RegExp(`fleet: ${killedNode}: taking over`));

    const statusB = await ioB.exited;
    const report = parseReport(ioB.out());
    expect(report, `status ${statusB}\n${ioB.out()}\n${ioB.err()}`).toBeDefined();
    expect(statusB, ioB.err()).toBe(0);
    const nodes = byStack(report!);
    // Every node converged once: by A before it died (B skipped it: done by A) or by B.
    const byA = NODES.filter((s) => nodes[s].result === "skipped");
    const byB = NODES.filter((s) => nodes[s].result === "ok");
    expect([...byA, ...byB].sort()).toEqual(NODES);
    expect(byA.length).toBeGreaterThanOrEqual(1);
    for (const s of byA) expect(nodes[s].runner).toMatch(/:\d+$/);
    // The node A was killed in was taken over by B, after A was gone; the stack lock A's CLI left was cleared.
    expect(byB).toContain(killedNode);
    expect(ioB.err()).toMatch(new RegExp(`fleet: ${killedNode}: the claim of runner \\S+ ended; waiting \\d+ s for its lease`));
    expect(ioB.err()).toMatch(new RegExp(`fleet: ${killedNode}: taking over from runner \\S+, whose claim ended`));
    // Nothing of A's run of that node is left running (B killed what A left on this machine).
    expect(markedProcesses((id) => id.startsWith(`${a.runMarker(killedNode)}:`))).toEqual([]);
    // No node ran in both runners except the one taken over: A's logs hold only the nodes A started.
    const logsA = readdirSync(join(a.root, "project", ".state"), { recursive: true }).map(String).filter((f) => f.endsWith(".log")).map((f) => f.split("/").pop()!.replace(/\.log$/, ""));
    expect(logsA.filter((s) => byB.includes(s))).toEqual([killedNode]);
    for (const s of NODES) {
      const r = b.secretsRoot(s);
      expect(openssl("verify", "-CAfile", join(r, "ca.pem"), join(r, "svc-a", "cert.pem"))).toContain(": OK");
    }

    // `fleet status` from either runner's folder: every node done, and who did it.
    const status = await a.run(["status", "--json"]);
    expect(status.status, status.stderr).toBe(0);
    const view = JSON.parse(status.stdout) as { backend: string; nodes: { stack: string; state: string; runner: string }[] };
    expect(view.backend).toBe("shared");
    expect(view.nodes.map((n) => [n.stack, n.state])).toEqual(NODES.map((s) => [s, "done"]));

    // A third run joins nothing (the run is over) and previews no change on any node, from the other folder.
    const preview = await a.run(["preview", "--all", "--json"]);
    expect(preview.status, preview.stderr).toBe(0);
    for (const n of preview.report!.nodes) expect(n.changeCount, n.stack).toBe(0);
  });

  it("keeps the state in the backend encrypted with the stack's passphrase, and the backend's password out of it and the logs", async () => {
    const owner = server.owner("fleet_state");
    const rows = (await sql(owner, "SELECT key || ' ' || (data->>'data') FROM pulumi_state WHERE key LIKE '%/.pulumi/stacks/%.json%' AND key NOT LIKE '%.bak'")).split("\n");
    expect(rows.length).toBe(NODES.length);
    for (const row of rows) {
      const [key, data] = row.split(" ");
      // Compressed by the CLI (the runners set PULUMI_DIY_BACKEND_ZSTD for a shared backend), and the opened
      // checkpoint holds no private key in the clear.
      expect(key).toMatch(/\.json\.zst$/);
      const checkpoint = stateObjectText(data);
      expect(checkpoint).toContain("ciphertext");
      expect(checkpoint).not.toMatch(/BEGIN (EC |RSA )?PRIVATE KEY/);
      expect(checkpoint).not.toContain(server.statePassword);
    }
    const logs = readdirSync(a.root, { recursive: true }).map(String).filter((f) => f.endsWith(".log"));
    expect(logs.length).toBeGreaterThan(0);
    for (const f of logs) expect(readFileSync(join(a.root, f), "utf8")).not.toContain(server.statePassword);
  });

  it("kills a node's CLI at once when the runner loses the node's claim while it lives (its connection cut), and the next run takes the node over", async () => {
    // As on another machine whose link to the backend broke: the runner lives on, but its claim (the session holding
    // the node's advisory lock) is gone, so another runner may take the node over; the runner's CLI must not go on.
    await server.createDatabase("fleet_lost");
    const c = new FleetProject();
    try {
      c.backendEnv = server.env("fleet_lost");
      const lost = ["l-1", "l-2"];
      for (const stack of lost) c.addNode(stack, { services: services(stack) });
      const run = c.spawn(["up", "--all", "--concurrency", "1", "--json"]);
      const io = collect(run);
      await until(() => /^l-1 +running/m.test(io.err()) && cliOf(c, "l-1").length > 0, 300_000, () => io.err());
      await new Promise((r) => setTimeout(r, 3000));
      const owner = server.owner("fleet_lost");
      // The session holding l-1's claim: the advisory lock on (namespace, project/stack) of claims.ts, as the server
      // lists it (two int4 keys as unsigned oids).
      const holder = (
        await sql(
          owner,
          `SELECT a.pid || ' ' || a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted
             AND l.classid::text::bigint = (hashtext('edge-security fleet node')::bigint & 4294967295)
             AND l.objid::text::bigint = (hashtext('edge-security/l-1')::bigint & 4294967295)`,
        )
      ).split(" ");
      expect(await sql(owner, `SELECT pg_terminate_backend(${Number(holder[0])})`)).toBe("t");
      await until(() => cliOf(c, "l-1").length === 0, 5000, () => `the CLI of l-1 still runs after its claim ended:\n${io.err()}`);
      // An operator sees who holds what in pg_stat_activity.
      expect(holder.slice(1).join(" ")).toBe("edge-security fleet node l-1");
      expect(await io.exited).toBe(1);
      const first = byStack(parseReport(io.out())!);
      expect(first["l-1"].result).toBe("failed");
      expect(first["l-1"].error).toMatch(/^lost its claim in the shared backend \(its connection to the backend (ended|failed[^)]*)\); its CLI was killed/);
      expect(first["l-2"].result, io.err()).toBe("ok");

      // The next run takes l-1 over (after the lease), clears the stack lock the killed CLI left, and converges it.
      const again = await c.run(["up", "--all", "--json"]);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/fleet: l-1: taking over from runner \S+, whose claim ended; cancelled the stack lock it left/);
      for (const stack of lost) {
        const r = c.secretsRoot(stack);
        expect(openssl("verify", "-CAfile", join(r, "ca.pem"), join(r, "svc-a", "cert.pem"))).toContain(": OK");
      }
    } finally {
      c.cleanup();
    }
  });

  it("loses nothing when the backend restarts in the middle of a fleet run: the interrupted node is taken over by the next run", async () => {
    await server.createDatabase("fleet_restart");
    const d = new FleetProject();
    try {
      d.backendEnv = server.env("fleet_restart");
      const nodes = ["r-1", "r-2"];
      for (const stack of nodes) d.addNode(stack, { services: services(stack) });
      const run = d.spawn(["up", "--all", "--concurrency", "1", "--json"]);
      const io = collect(run);
      await until(() => /^r-1 +running/m.test(io.err()) && cliOf(d, "r-1").length > 0, 300_000, () => io.err());
      await new Promise((r) => setTimeout(r, 3000));
      await server.restart();
      // Every session ended with the restart, the claim's too: the runner killed r-1's CLI and did not record r-1 done.
      expect(await io.exited).toBe(1);
      expect(cliOf(d, "r-1")).toEqual([]);
      const first = byStack(parseReport(io.out())!);
      expect(first["r-1"].result).toBe("failed");
      expect(first["r-1"].error).toMatch(/^lost its claim in the shared backend/);

      const again = await d.run(["up", "--all", "--json"]);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/fleet: r-1: taking over from runner \S+, whose claim ended/);
      const preview = await d.run(["preview", "--all", "--json"]);
      expect(preview.status, preview.stderr).toBe(0);
      for (const n of preview.report!.nodes) expect(n.changeCount, n.stack).toBe(0);
      for (const stack of nodes) {
        const r = d.secretsRoot(stack);
        expect(openssl("verify", "-CAfile", join(r, "ca.pem"), join(r, "svc-a", "cert.pem"))).toContain(": OK");
      }
    } finally {
      d.cleanup();
    }
  });

  it("serves `pulumi up` typed in a project folder, and nothing is lost when the backend restarts", async () => {
    const node = new TestNode("one");
    try {
      // A plain CLI with no compression set (a stock install in a plain shell, not the project's runners).
      node.backendEnv = { ...server.env("fleet_state"), PULUMI_DIY_BACKEND_ZSTD: "" };
      node.configure({ services: [{ name: "svc-a" }] });
      expectOk(await node.cli("up"));
      // Its checkpoint is stored as `.json`, compressed by the prepared table's lz4 (prepareSql) instead.
      const owner = server.owner("fleet_state");
      expect(await sql(owner, "SELECT coalesce(pg_column_compression(data), 'none') FROM pulumi_state WHERE key LIKE '%/.pulumi/stacks/edge-security/one.json'")).toBe("lz4");
      await server.restart();
      const preview = expectOk(await node.cli("preview"));
      expect(preview.steps).toEqual([]);
      expect(node.exportState()).not.toContain(server.statePassword);
      // `npm run pulumi` (scripts/pulumi.sh) on the same backend, from another folder: it lists the fleet's stacks
      // and this one, and leaves no folder named after the URL behind (it used to mkdir -p the URL).
      const cwd = mkdtempSync(join(tmpdir(), "edge-npm-pulumi-"));
      try {
        const listed = execFileSync("bash", [join(PROJECT_ROOT, "scripts/pulumi.sh"), "stack", "ls", "--json"], { cwd, encoding: "utf8", timeout: 120_000, env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "x", ...server.env("fleet_state") } });
        expect((JSON.parse(listed) as { name: string }[]).map((s) => s.name).sort()).toEqual([...NODES, "one"].sort());
        expect(readdirSync(cwd)).toEqual([]);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    } finally {
      node.cleanup();
    }
  });
});

async function until(check: () => boolean, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${context()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
