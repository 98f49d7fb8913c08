// Benchmark (not a test): the node stack with the PKI only, for 20 and 200 services (BENCH_SIZES).
import { TestNode } from "../test/support/harness";
import { measureUpAndPreview, printTable, run, serviceNames, sizes } from "./measure";

run(async () => {
  const rows: string[] = [];
  for (const n of sizes("BENCH_SIZES", "20,200")) {
    const node = new TestNode(`bench-${n}`);
    try {
      node.configure({ services: serviceNames(n).map((name) => ({ name })) });
      rows.push(await measureUpAndPreview(node, n));
    } finally {
      node.cleanup();
    }
  }
  printTable("PKI:", rows);
});
