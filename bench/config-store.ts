// Benchmark (not a test): the node stack with the config store on a real etcd (PKI + etcd identity, default
// config and readiness per service), 20 services by default (BENCH_CONFIG_STORE_SIZES=20,200).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EtcdServer } from "../test/support/etcd-server";
import { freePort, TestNode } from "../test/support/harness";
import { measureUpAndPreview, printTable, run, serviceNames, sizes } from "./measure";

run(async () => {
  const rows: string[] = [];
  for (const n of sizes("BENCH_CONFIG_STORE_SIZES", "20")) {
    const node = new TestNode(`bench-config-store-${n}`);
    const etcd = new EtcdServer({ secretsRoot: node.secretsRoot, dataDir: join(node.root, "etcd"), port: await freePort(), peerPort: await freePort() });
    try {
      const names = serviceNames(n);
      const defaults = join(node.root, "eii_config.json");
      writeFileSync(defaults, JSON.stringify(Object.fromEntries([["/GlobalEnv/", { PY_LOG_LEVEL: "INFO" }], ...names.flatMap((s) => [[`/${s}/config`, { n: 1 }], [`/${s}/interfaces`, { Publishers: [] }]])])));
      node.configure({ services: [{ name: "etcd" }, ...names.map((name) => ({ name }))], configStore: { endpoint: etcd.endpoint, prefix: "/eii", defaultConfigFile: defaults, waitTimeoutSeconds: 300 } });
      etcd.start();
      rows.push(await measureUpAndPreview(node, n));
    } finally {
      etcd.stop();
      node.cleanup();
    }
  }
  printTable("Config store (etcd) on:", rows);
});
