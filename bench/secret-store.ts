// Benchmark (not a test): the node stack with its secret store on a real OpenBao, through the real CLI: wall
// time of a cold `up` (init, unseal, a token and credentials per service) and of a no-op `preview`.
// Run with `npm run bench`; prints a table. BENCH_STORE_SIZES=20,200 to choose the sizes.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { expectOk, TestNode } from "../test/integration/harness";
import { OpenBaoServer } from "../test/integration/openbao-server";

const SIZES = (process.env.BENCH_STORE_SIZES ?? "20").split(",").map(Number);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, (performance.now() - start) / 1000];
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const n of SIZES) {
    const node = new TestNode(`bench-store-${n}`);
    const server = await OpenBaoServer.create(node);
    try {
      const services = [{ name: "secretstore" }, ...Array.from({ length: n }, (_, i) => ({ name: `svc-${String(i).padStart(3, "0")}` }))];
      node.configure({ services, secretStore: { address: server.address, custodyDir: join(node.root, "custody") } }, { secretStoreCustodySecret: "bench-custody-secret-0123456789abcdefghij" });
      server.start();
      const [up, upSeconds] = await timed(async () => expectOk(await node.run("up")));
      const [preview, previewSeconds] = await timed(async () => expectOk(await node.run("preview")));
      if (preview.steps.length !== 0) throw new Error(`no-op preview of ${n} services planned changes`);
      const resources = Object.values(up.changeSummary).reduce((a, b) => a + b, 0);
      rows.push(`| ${n} | ${resources} | ${upSeconds.toFixed(1)} | ${previewSeconds.toFixed(1)} |`);
    } finally {
      server.stop();
      node.cleanup();
    }
  }
  console.log(["| services (+ store) | resources | cold up (s) | no-op preview (s) |", "|---|---|---|---|", ...rows].join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
