// Benchmark (not a test): the fleet command over 1, 10 and 50 PKI-only node stacks (BENCH_FLEET_SIZES), three
// services each, at the default concurrency (BENCH_FLEET_CONCURRENCY to change it): a cold `up` of every node,
// then a `preview` that must plan nothing. Per-node time is the wall time over the nodes; the ratio compares it
// with one node alone (below 1: running nodes side by side pays; above 1: they contend).
// Then a shared backend (BENCH_FLEET_SHARED_SIZE nodes, default 10; 0 skips it): the same cold `up` on `file://`, on
// a prepared PostgreSQL backend (TLS, fsync; docs/state-backend.md) with one runner, and with two runners (two
// project folders, as on two machines) started together on the same fleet: nodes per minute for each.
import { performance } from "node:perf_hooks";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CONCURRENCY } from "../components/fleet/args";
import { FleetProject, FleetResult } from "../test/support/fleet-project";
import { StateBackendServer } from "../test/support/state-backend-server";
import { run, serviceNames, sizes } from "./measure";

async function timed(fleet: FleetProject, args: string[]): Promise<[FleetResult, number]> {
  const start = performance.now();
  const result = await fleet.run(args);
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0 || !result.report) throw new Error(`fleet ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return [result, seconds];
}

/** Nodes per minute of a cold `up` over `n` PKI-only nodes: on file://, on the shared backend with 1 and with 2 runners. */
async function sharedRows(n: number, concurrency: string): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), "edge-bench-fleet-"));
  chmodSync(root, 0o755);
  const server = new StateBackendServer(root);
  const projects: FleetProject[] = [];
  const fleetOf = (nodesOf?: FleetProject, db?: string) => {
    const p = new FleetProject(nodesOf ? { nodesOf } : {});
    projects.push(p);
    if (db) p.backendEnv = server.env(db);
    for (const stack of serviceNames(n).map((s) => s.replace("svc", "node"))) p.addNode(stack, { services: serviceNames(3).map((name) => ({ name })) });
    return p;
  };
  const rows: string[] = [];
  const row = (what: string, runners: number, seconds: number) => rows.push(`| ${what} | ${runners} | ${n} | ${seconds.toFixed(1)} | ${((n / seconds) * 60).toFixed(1)} |`);
  try {
    await server.start();
    row("file://", 1, (await timed(fleetOf(), ["up", "--all", "--concurrency", concurrency, "--json"]))[1]);
    await server.createDatabase("one_runner");
    row("postgres (prepared)", 1, (await timed(fleetOf(undefined, "one_runner"), ["up", "--all", "--concurrency", concurrency, "--json"]))[1]);
    await server.createDatabase("two_runners");
    const first = fleetOf(undefined, "two_runners");
    const second = fleetOf(first, "two_runners");
    const start = performance.now();
    // The second starts a moment later, as a second operator would: it joins the first one's run.
    const results = await Promise.all([first.run(["up", "--all", "--concurrency", concurrency, "--json"]), new Promise((r) => setTimeout(r, 3000)).then(() => second.run(["up", "--all", "--concurrency", concurrency, "--json"]))]);
    const seconds = (performance.now() - start) / 1000;
    for (const r of results) if (r.status !== 0) throw new Error(`a runner failed (${r.status}):\n${r.stderr}`);
    const ran = results.map((r) => r.report!.nodes.filter((x) => x.result === "ok").length);
    if (ran[0] + ran[1] !== n) throw new Error(`the two runners ran ${ran.join(" + ")} nodes, not ${n} once each`);
    row(`postgres (prepared), nodes run ${ran.join(" + ")}`, 2, seconds);
  } finally {
    for (const p of projects) p.cleanup();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

run(async () => {
  const concurrency = process.env.BENCH_FLEET_CONCURRENCY ?? String(DEFAULT_CONCURRENCY);
  const rows: string[] = [];
  let base: { up: number; preview: number } | undefined;
  for (const n of sizes("BENCH_FLEET_SIZES", "1,10,50")) {
    const fleet = new FleetProject();
    try {
      for (const stack of serviceNames(n).map((s) => s.replace("svc", "node"))) fleet.addNode(stack, { services: serviceNames(3).map((name) => ({ name })) });
      const [up, upSeconds] = await timed(fleet, ["up", "--all", "--concurrency", concurrency, "--json"]);
      const [preview, previewSeconds] = await timed(fleet, ["preview", "--all", "--concurrency", concurrency, "--json"]);
      const planned = preview.report!.nodes.filter((node) => node.changeCount !== 0);
      if (planned.length > 0) throw new Error(`no-op preview over ${n} nodes planned changes on ${planned.map((p) => p.stack).join(", ")}`);
      const resources = up.report!.nodes.reduce((sum, node) => sum + (node.resources ?? 0), 0);
      const perNode = { up: upSeconds / n, preview: previewSeconds / n };
      base ??= perNode;
      rows.push(`| ${n} | ${resources} | ${upSeconds.toFixed(1)} | ${perNode.up.toFixed(2)} | ${(perNode.up / base.up).toFixed(2)} | ${previewSeconds.toFixed(1)} | ${perNode.preview.toFixed(2)} | ${(perNode.preview / base.preview).toFixed(2)} |`);
    } finally {
      fleet.cleanup();
    }
  }
  console.log(
    [
      `Fleet (PKI-only nodes, 3 services each, concurrency ${concurrency}):`,
      "| nodes | resources | up (s) | up per node (s) | ratio to 1 node | no-op preview (s) | preview per node (s) | ratio to 1 node |",
      "|---|---|---|---|---|---|---|---|",
      ...rows,
    ].join("\n"),
  );
  const [shared] = sizes("BENCH_FLEET_SHARED_SIZE", "10");
  if (shared > 0) {
    const sharedTable = await sharedRows(shared, concurrency);
    console.log(
      [
        `Fleet on a shared backend (PKI-only nodes, 3 services each, concurrency ${concurrency} per runner; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}):`,
        "| backend | runners | nodes | cold up (s) | nodes per minute |",
        "|---|---|---|---|---|",
        ...sharedTable,
      ].join("\n"),
    );
  }
});
