// Benchmark (not a test): wall time of a cold `up` and a no-op `preview` of a node stack with the config store
// on a real etcd (PKI + etcd identity, default config and readiness per service), through the real CLI.
// Run with `npm run bench` (BENCH_STORE_SIZES=20,200 to choose the sizes); prints a table.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { EtcdServer, freePort } from "../test/integration/etcd-server";
import { expectOk, TestNode } from "../test/integration/harness";

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
    const etcd = new EtcdServer({ secretsRoot: node.secretsRoot, dataDir: join(node.root, "etcd"), port: await freePort(), peerPort: await freePort() });
    try {
      const names = Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(3, "0")}`);
      const defaults = join(node.root, "eii_config.json");
      writeFileSync(defaults, JSON.stringify(Object.fromEntries([["/GlobalEnv/", { PY_LOG_LEVEL: "INFO" }], ...names.flatMap((s) => [[`/${s}/config`, { n: 1 }], [`/${s}/interfaces`, { Publishers: [] }]])])));
      node.configure({ services: [{ name: "etcd" }, ...names.map((name) => ({ name }))], configStore: { endpoint: etcd.endpoint, prefix: "/eii", defaultConfigFile: defaults, waitTimeoutSeconds: 300 } });
      etcd.start();
      const [up, upSeconds] = await timed(async () => expectOk(await node.run("up")));
      const [preview, previewSeconds] = await timed(async () => expectOk(await node.run("preview")));
      if (preview.steps.length !== 0) throw new Error(`no-op preview of ${n} services planned changes`);
      const resources = Object.values(up.changeSummary).reduce((a, b) => a + b, 0);
      rows.push(`| ${n} | ${resources} | ${upSeconds.toFixed(1)} | ${previewSeconds.toFixed(1)} |`);
    } finally {
      etcd.stop();
      node.cleanup();
    }
  }
  console.log(["Config store (etcd) on:", "| services | resources | cold up (s) | no-op preview (s) |", "|---|---|---|---|", ...rows].join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
