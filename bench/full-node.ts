// Benchmark (not a test): a node with every per-service concern on (PKI, secret store on a real OpenBao, the
// services' PostgreSQL roles and databases and Mongo users on real servers, config-store identities on a real etcd),
// through `pulumi up` / `pulumi preview` typed in the project folder, against the floor measured in the same run
// (as many do-nothing dynamic resources through the same CLI). The gateway is left out: its resources are per node
// (identity, users, one site), not per service, and bench/gateway-nginx.ts measures it.
// A second floor carries the node's own state (bench/floor/same-state.ts): what the engine charges for the
// state itself, so the table splits the node's cost into the engine's for that state and the project's own.
//   BENCH_FULL_SIZES=20,200 (client services, each with every concern)
import { loadavg } from "node:os";
import { FullNode } from "../test/support/full-node";
import { floorNode, PREVIEW_RUNS, ratio, run, sizes, sameStateFloorNode, upAndPreview } from "./measure";

run(async () => {
  const rows: string[] = [];
  for (const n of sizes("BENCH_FULL_SIZES", "20,200")) {
    const full = new FullNode(`bench-full-${n}`, n - 1);
    let floor: ReturnType<typeof floorNode> | undefined;
    let sameState: ReturnType<typeof floorNode> | undefined;
    try {
      await full.start();
      const real = await upAndPreview(full.node);
      const stateBytes = Buffer.byteLength(full.node.exportState());
      floor = floorNode(real.resources - 1);
      const base = await upAndPreview(floor);
      sameState = sameStateFloorNode(full.node);
      const same = await upAndPreview(sameState);
      const sameStateBytes = Buffer.byteLength(sameState.exportState());
      console.log(`measured ${n} services with every concern (load average ${loadavg()[0].toFixed(1)})`);
      rows.push(`| ${n} | ${real.resources} | ${base.up.toFixed(1)} | ${real.up.toFixed(1)} | ${ratio(real.up, base.up)} | ${base.preview.toFixed(1)} | ${real.preview.toFixed(1)} | ${ratio(real.preview, base.preview)} | ${(stateBytes / n / 1024).toFixed(1)} | ${same.up.toFixed(1)} | ${ratio(real.up, same.up)} | ${same.preview.toFixed(1)} | ${ratio(real.preview, same.preview)} | ${(sameStateBytes / n / 1024).toFixed(1)} |`);
    } finally {
      await full.stop();
      floor?.cleanup();
      sameState?.cleanup();
    }
  }
  console.log(
    [
      `Every per-service concern through \`pulumi up\`/\`pulumi preview\` against the floor (no-op preview: median of ${PREVIEW_RUNS} runs; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}):`,
      "| services | resources | floor up (s) | up (s) | up ratio | floor preview (s) | preview (s) | preview ratio | state KB/service | same-state floor up (s) | up ratio to it | same-state floor preview (s) | preview ratio to it | its state KB/service |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
      ...rows,
    ].join("\n"),
  );
});
