// Benchmark (not a test): a node with every per-service concern on (PKI, secret store on a real OpenBao, the
// services' PostgreSQL roles and databases and Mongo users on real servers, config-store identities on a real etcd),
// through `pulumi up` / `pulumi preview` typed in the project folder, against the floor measured in the same run
// (as many do-nothing dynamic resources through the same CLI). The gateway is left out: its resources are per node
// (identity, users, one site), not per service, and bench/gateway-nginx.ts measures it.
// A second floor carries the node's own state (bench/floor/same-state.ts): what the engine charges for the
// state itself, so the table splits the node's cost into the engine's for that state and the project's own.
// Then the secret store alone by layout (edge-security:layout default and edgex4, docs/edgex.md), each against its
// own floor in the same run: the EdgeX layout's identity per service (entity, login, roles) against today's token.
//   BENCH_FULL_SIZES=20,200 (client services, each with every concern; empty: none)   BENCH_LAYOUT_SIZES=20 (services, layouts)
import { join } from "node:path";
import { loadavg } from "node:os";
import { FullNode } from "../test/support/full-node";
import { TestNode } from "../test/support/harness";
import { OpenBaoServer } from "../test/support/openbao-server";
import { FLOOR_COLUMNS, floorCells, floorNode, markdownTable, PREVIEW_RUNS, run, SAME_STATE_COLUMNS, sameStateCells, sameStateFloorNode, sizes, upAndPreview } from "./measure";

run(async () => {
  const rows: string[][] = [];
  // BENCH_FULL_SIZES= (empty): only the layouts' table.
  for (const n of process.env.BENCH_FULL_SIZES === "" ? [] : sizes("BENCH_FULL_SIZES", "20,200")) {
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
      rows.push([String(n), ...floorCells(n, real, base, stateBytes), ...sameStateCells(n, real, same, sameStateBytes)]);
    } finally {
      await full.stop();
      floor?.cleanup();
      sameState?.cleanup();
    }
  }
  const layoutRows: string[][] = [];
  for (const n of sizes("BENCH_LAYOUT_SIZES", "20")) {
    for (const layout of ["default", "edgex4"]) {
      const node = new TestNode(`bench-layout-${layout}-${n}`);
      const store = await OpenBaoServer.create(node);
      let floor: ReturnType<typeof floorNode> | undefined;
      try {
        node.configure(
          {
            layout,
            services: [{ name: "secretstore", hostnames: ["secretstore"], extraSans: ["127.0.0.1"] }, ...Array.from({ length: n - 1 }, (_, i) => ({ name: `svc-${String(i).padStart(3, "0")}` }))],
            secretStore: { address: store.address, custodyDir: join(node.root, "custody"), connectTimeoutSeconds: 120 },
          },
          { secretStoreCustodySecret: "bench-layout-custody-secret-0123456789abcdef" },
        );
        store.start();
        const real = await upAndPreview(node);
        const stateBytes = Buffer.byteLength(node.exportState());
        floor = floorNode(real.resources - 1);
        const base = await upAndPreview(floor);
        console.log(`measured the ${layout} layout's secret store at ${n} services (load average ${loadavg()[0].toFixed(1)})`);
        layoutRows.push([layout, String(n), ...floorCells(n, real, base, stateBytes)]);
      } finally {
        store.stop();
        node.cleanup();
        floor?.cleanup();
      }
    }
  }
  console.log(
    [
      ...(rows.length === 0
        ? []
        : [
            `Every per-service concern through \`pulumi up\`/\`pulumi preview\` against the floor (no-op preview: median of ${PREVIEW_RUNS} runs; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}):`,
            ...markdownTable(["services", ...FLOOR_COLUMNS, ...SAME_STATE_COLUMNS], rows),
            "",
          ]),
      "The secret store alone (PKI + store, no other concern) by layout, each against its own floor:",
      ...markdownTable(["layout", "services", ...FLOOR_COLUMNS], layoutRows),
    ].join("\n"),
  );
});
