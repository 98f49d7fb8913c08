// Benchmark (not a test): the node stack with its secret store on a real OpenBao (init, unseal, a token and
// credentials per service), 20 services by default (BENCH_SECRET_STORE_SIZES=20,200).
import { join } from "node:path";
import { TestNode } from "../test/support/harness";
import { OpenBaoServer } from "../test/support/openbao-server";
import { measureUpAndPreview, printTable, run, serviceNames, sizes } from "./measure";

run(async () => {
  const rows: string[] = [];
  for (const n of sizes("BENCH_SECRET_STORE_SIZES", "20")) {
    const node = new TestNode(`bench-secret-store-${n}`);
    const server = await OpenBaoServer.create(node);
    try {
      const services = [{ name: "secretstore" }, ...serviceNames(n).map((name) => ({ name }))];
      node.configure({ services, secretStore: { address: server.address, custodyDir: join(node.root, "custody") } }, { secretStoreCustodySecret: "bench-custody-secret-0123456789abcdefghij" });
      server.start();
      rows.push(await measureUpAndPreview(node, n));
    } finally {
      server.stop();
      node.cleanup();
    }
  }
  printTable("Secret store (OpenBao) on:", rows);
});
