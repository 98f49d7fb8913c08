// Benchmark (not a test): the node stack with databases on top of its secret store (the passwords' source):
// the gateway's PostgreSQL role and database (the shared server, 127.0.0.1:5432), one PostgreSQL role + database
// for every other service, and one Mongo user per service on a FerretDB started here; a real OpenBao. 20 services
// by default (BENCH_DB_SIZES=20,200). Everything it creates is destroyed at the end.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { FerretdbServer } from "../test/support/ferretdb-server";
import { expectOk, TestNode } from "../test/support/harness";
import { OpenBaoServer } from "../test/support/openbao-server";
import { ensureSharedPostgres, SHARED_POSTGRES, stopSharedPostgres } from "../test/support/postgres-server";
import { measureUpAndPreview, printTable, run, sizes } from "./measure";

run(async () => {
  await ensureSharedPostgres();
  const rows: string[] = [];
  for (const n of sizes("BENCH_DB_SIZES", "20")) {
    const sfx = randomBytes(3).toString("hex");
    const names = Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(3, "0")}-${sfx}`);
    const node = new TestNode(`bench-db-${n}`);
    const ferret = new FerretdbServer(join(node.root, "ferretdb", "state"));
    mkdirSync(ferret.stateDir, { recursive: true });
    await ferret.start();
    const store = await OpenBaoServer.create(node);
    store.start();
    try {
      node.configure(
        {
          services: [{ name: "secretstore" }, ...names.map((name) => ({ name }))],
          secretStore: { address: store.address, custodyDir: join(node.root, "custody") },
          databases: {
            postgres: { port: SHARED_POSTGRES.port, adminUser: SHARED_POSTGRES.user, gateway: { service: names[0] }, services: names.slice(1).map((service) => ({ service })) },
            mongo: { host: ferret.host, port: ferret.port, adminUser: ferret.adminUser },
          },
        },
        { secretStoreCustodySecret: "bench-custody-secret-0123456789abcdefghij" },
      );
      node.setSecretConfig("databases.mongo.adminPassword", ferret.adminPassword);
      rows.push(await measureUpAndPreview(node, n));
      expectOk(await node.run("destroy"));
    } finally {
      store.stop();
      await ferret.stop();
      node.cleanup();
    }
  }
  await stopSharedPostgres();
  printTable("Secret store + databases (PostgreSQL role and database + Mongo user per service) on:", rows);
});
