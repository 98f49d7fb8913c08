// Benchmark (not a test): wall time of a cold `up` and a no-op `preview` of a node stack with databases, through
// the real CLI: the gateway's PostgreSQL role and database (the shared server, PostgreSQL on 127.0.0.1:5432 by
// default), one PostgreSQL role + database for every other service, and one Mongo user per service on a FerretDB
// started here. Everything it creates is destroyed at the end. Run with `npm run bench`; prints a table.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { FerretdbServer } from "../test/integration/ferretdb-server";
import { expectOk, TestNode } from "../test/integration/harness";
import { SHARED_POSTGRES } from "../test/integration/postgres-server";

const SIZES = (process.env.BENCH_DB_SIZES ?? "20").split(",").map(Number);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, (performance.now() - start) / 1000];
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const n of SIZES) {
    const sfx = randomBytes(3).toString("hex");
    const names = Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(3, "0")}-${sfx}`);
    const node = new TestNode(`bench-db-${n}`);
    const ferret = new FerretdbServer(join(node.root, "ferretdb", "state"));
    mkdirSync(ferret.stateDir, { recursive: true });
    await ferret.start();
    try {
      node.configure({
        services: names.map((name) => ({ name })),
        databases: {
          postgres: { port: SHARED_POSTGRES.port, adminUser: SHARED_POSTGRES.user, gateway: { service: names[0] }, services: names.slice(1).map((service) => ({ service })) },
          mongo: { host: ferret.host, port: ferret.port, adminUser: ferret.adminUser },
        },
      });
      node.setSecretConfig("databases.mongo.adminPassword", ferret.adminPassword);
      const [up, upSeconds] = await timed(async () => expectOk(await node.run("up")));
      const [preview, previewSeconds] = await timed(async () => expectOk(await node.run("preview")));
      if (preview.steps.length !== 0) throw new Error(`no-op preview of ${n} services planned changes`);
      const resources = Object.values(up.changeSummary).reduce((a, b) => a + b, 0);
      rows.push(`| ${n} | ${n} + ${n} | ${resources} | ${upSeconds.toFixed(1)} | ${previewSeconds.toFixed(1)} |`);
      expectOk(await node.run("destroy"));
    } finally {
      await ferret.stop();
      node.cleanup();
    }
  }
  console.log(["| services | PostgreSQL roles + Mongo users | resources | cold up (s) | no-op preview (s) |", "|---|---|---|---|---|", ...rows].join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
