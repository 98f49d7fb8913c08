// Benchmark (not a test): the fleet command over 1, 10 and 50 PKI-only node stacks (BENCH_FLEET_SIZES), three
// services each, at the default concurrency (BENCH_FLEET_CONCURRENCY to change it): a cold `up` of every node,
// then a `preview` that must plan nothing. Per-node time is the wall time over the nodes; the ratio compares it
// with one node alone (below 1: running nodes side by side pays; above 1: they contend).
import { performance } from "node:perf_hooks";
import { DEFAULT_CONCURRENCY } from "../components/fleet/args";
import { FleetProject, FleetResult } from "../test/support/fleet-project";
import { run, serviceNames, sizes } from "./measure";

async function timed(fleet: FleetProject, args: string[]): Promise<[FleetResult, number]> {
  const start = performance.now();
  const result = await fleet.run(args);
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0 || !result.report) throw new Error(`fleet ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return [result, seconds];
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
});
