// Benchmark (not a test): wall time of a cold `up` and a no-op `preview` of the node stack for 20 and 200
// services, through the real CLI. Run with `npm run bench`; prints a table.
import { performance } from "node:perf_hooks";
import { expectOk, TestNode } from "../test/integration/harness";

const SIZES = (process.env.BENCH_SIZES ?? "20,200").split(",").map(Number);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, (performance.now() - start) / 1000];
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const n of SIZES) {
    const node = new TestNode(`bench-${n}`);
    try {
      node.configure({ services: Array.from({ length: n }, (_, i) => ({ name: `svc-${String(i).padStart(3, "0")}` })) });
      const [up, upSeconds] = await timed(async () => expectOk(await node.run("up")));
      const [preview, previewSeconds] = await timed(async () => expectOk(await node.run("preview")));
      if (preview.steps.length !== 0) throw new Error(`no-op preview of ${n} services planned changes`);
      const resources = Object.values(up.changeSummary).reduce((a, b) => a + b, 0);
      rows.push(`| ${n} | ${resources} | ${upSeconds.toFixed(1)} | ${previewSeconds.toFixed(1)} |`);
    } finally {
      node.cleanup();
    }
}
console.log(["| services | resources | cold up (s) | no-op preview (s) |", "|---|---|---|---|", ...rows].join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
