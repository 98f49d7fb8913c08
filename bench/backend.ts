// Benchmark (not a test): the same programs on the state backends a fleet can share, in one run on one machine:
// `file://` (the floor: a local folder), Pulumi's `postgres://` backend on a database left as Pulumi makes it, and on
// a database prepared as docs/state-backend.md says (components/fleet/state-backend.ts prepareSql), plus variants
// that each change one thing, to find where the PostgreSQL backend's time goes, and Pulumi's `s3://` backend on an
// S3-compatible server. The PostgreSQL server is a private loopback cluster with durable commits (fsync on), TLS and
// scram, as in production (test/support/state-backend-server.ts); the S3 server a private loopback SeaweedFS with
// fsync on the bucket, TLS and an access key (test/support/s3-server.ts; built on first use, many minutes).
// Each row: a cold `up` and a no-op `preview` (median of PREVIEW_RUNS), their ratio to `file://`, and the CPU
// seconds the server spent and what it wrote during the row (PostgreSQL: its WAL; SeaweedFS: the bytes its process
// wrote to disk, /proc/<pid>/io write_bytes).
//   BENCH_BACKEND_FLOOR=100     do-nothing dynamic resources, each with BENCH_BACKEND_INPUT_BYTES (4096) of input
//   BENCH_BACKEND_SERVICES=20   a real node with every concern and that many services (0: skip it)
//   BENCH_BACKEND_VARIANTS=...  the floor's PostgreSQL variants (default: all of them)
//   BENCH_BACKEND_NODE_ROWS=... the node's rows after file:// (indexes from 1; default: all of them)
//   BENCH_BACKEND_REPEAT=1      rounds of the node's rows (each against its round's file://), then their medians
//   BENCH_BACKEND_S3=0          skip the S3 rows (default: on; the first run builds SeaweedFS)
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { prepareSql } from "../components/fleet/state-backend";
import { FullNode } from "../test/support/full-node";
import type { TestNode } from "../test/support/harness";
import { ensureSharedPostgres, sql, stopSharedPostgres } from "../test/support/postgres-server";
import { S3Server } from "../test/support/s3-server";
import { StateBackendServer } from "../test/support/state-backend-server";
import { floorNode, markdownTable, median, PREVIEW_RUNS, run, sizes, upAndPreview, UpAndPreview } from "./measure";

interface Variant {
  name: string;
  /** How the database is set up: Pulumi's own table, or prepareSql's. */
  prepared: boolean;
  /** SQL run by the admin in the new database before the run (per-database settings, table changes). */
  setup?: (db: string, server: StateBackendServer) => string[];
  /** Extra environment for the CLI. */
  env?: Record<string, string>;
}

/** The CLI compresses each checkpoint with zstd (Pulumi's DIY backend, `.json.zst` objects). */
const ZSTD = { PULUMI_DIY_BACKEND_ZSTD: "true" };

const VARIANTS: Variant[] = [
  { name: "postgres, Pulumi's table (pglz)", prepared: false },
  { name: "postgres, prepared (lz4)", prepared: true },
  { name: "postgres, uncompressed values (STORAGE EXTERNAL)", prepared: false, setup: () => ["ALTER TABLE pulumi_state ALTER COLUMN data SET STORAGE EXTERNAL"] },
  { name: "postgres, prepared, synchronous_commit off", prepared: true, setup: (db) => [`ALTER DATABASE ${db} SET synchronous_commit = off`] },
  { name: "postgres, Pulumi's table, client gzip", prepared: false, env: { PULUMI_DIY_BACKEND_GZIP: "true" } },
  { name: "postgres, prepared, CLI zstd", prepared: true, env: ZSTD },
  { name: "postgres, prepared, CLI zstd, column not compressed", prepared: true, env: ZSTD, setup: () => ["ALTER TABLE pulumi_state ALTER COLUMN data SET STORAGE EXTERNAL"] },
  { name: "postgres, Pulumi's table (pglz), CLI zstd", prepared: false, env: ZSTD },
];

let dbCount = 0;
/** The S3 rows' name in the table; the floor also runs on a bucket without the fsync rule, to see what it costs. */
const S3_NAME = "s3, SeaweedFS (fsync on)";
const S3_NO_FSYNC_NAME = "s3, SeaweedFS, fsync off";
const S3_ZSTD_NAME = "s3, SeaweedFS (fsync on), CLI zstd";

/** What one row measured: the run, and the server's CPU seconds and megabytes written over it. */
interface Measured {
  result: UpAndPreview;
  cpu: number;
  writtenMb: number;
}

/** A fresh database for `variant`, set up as it says; `node` will keep its state there. */
async function prepareDatabase(server: StateBackendServer, node: TestNode, variant: Variant): Promise<void> {
  const db = `state_${++dbCount}`;
  await server.createDatabase(db, variant.prepared);
  if (!variant.prepared && variant.setup) {
    // Pulumi's own table, made the way its backend makes it (prepareSql's first statement, nothing of ours), then changed.
    await sql(server.owner(db), prepareSql()[0]);
  }
  for (const statement of variant.setup?.(db, server) ?? []) await sql(server.admin(db), statement);
  node.backendEnv = server.env(db);
}

/** upAndPreview on `node`'s backend (prepared already), with the server's CPU time and WAL over the run. */
async function measureOn(server: StateBackendServer | undefined, node: TestNode, variant?: Variant): Promise<Measured> {
  if (!server || !variant) return { result: await upAndPreview(node), cpu: 0, writtenMb: 0 };
  const lsn = async () => Number(await sql(server.admin(), "SELECT pg_current_wal_lsn() - '0/0'"));
  const [cpu0, wal0] = [server.serverCpuSeconds(), await lsn()];
  const result = await upAndPreview(node, variant.env ?? {});
  return { result, cpu: server.serverCpuSeconds() - cpu0, writtenMb: ((await lsn()) - wal0) / 1e6 };
}

let bucketCount = 0;

/** A fresh bucket on `s3` for `node`'s state (a row of its own, as a database per PostgreSQL row). */
async function prepareBucket(s3: S3Server, node: TestNode, fsync = true): Promise<void> {
  const bucket = `state-${++bucketCount}`;
  await s3.createBucket(bucket, { fsync });
  node.backendEnv = s3.env(bucket);
}

/** A row's figures: the run, its ratios to the base (file://) of the same round, and the server's CPU and writes. */
interface Figures {
  resources: number;
  up: number;
  upRatio: number;
  preview: number;
  previewRatio: number;
  cpu: number;
  mb: number;
}

const figuresOf = (m: Measured, base: UpAndPreview): Figures => ({
  resources: m.result.resources,
  up: m.result.up,
  upRatio: m.result.up / base.up,
  preview: m.result.preview,
  previewRatio: m.result.preview / base.preview,
  cpu: m.cpu,
  mb: m.writtenMb,
});

/** upAndPreview on `node`'s S3 bucket (prepared already), with SeaweedFS's CPU time and disk writes over the run. */
async function measureOnS3(s3: S3Server, node: TestNode, env: Record<string, string> = {}): Promise<Measured> {
  const [cpu0, written0] = [s3.serverCpuSeconds(), s3.serverWrittenBytes()];
  const result = await upAndPreview(node, env);
  return { result, cpu: s3.serverCpuSeconds() - cpu0, writtenMb: (s3.serverWrittenBytes() - written0) / 1e6 };
}

run(async () => {
  const root = mkdtempSync(join(tmpdir(), "edge-bench-backend-"));
  chmodSync(root, 0o755);
  const server = new StateBackendServer(root);
  const withS3 = process.env.BENCH_BACKEND_S3 !== "0";
  const s3 = withS3 ? new S3Server(join(root, "s3")) : undefined;
  const rows: string[][] = [];
  try {
    await server.start();
    await s3?.start();
    const [count] = sizes("BENCH_BACKEND_FLOOR", "100");
    const inputBytes = Number(process.env.BENCH_BACKEND_INPUT_BYTES ?? 4096);
    const wanted = process.env.BENCH_BACKEND_VARIANTS?.split(",").map(Number);
    const variants = VARIANTS.filter((_, i) => !wanted || wanted.includes(i));
    const addRow = (what: string, backend: string, f: Figures) =>
      rows.push([what, backend, String(f.resources), f.up.toFixed(1), f.upRatio.toFixed(2), f.preview.toFixed(1), f.previewRatio.toFixed(2), f.cpu.toFixed(1), f.mb.toFixed(0)]);
    /** Adds the row of one measurement against its base, and returns its figures. */
    const row = (what: string, backend: string, m: Measured, base: UpAndPreview): Figures => {
      const f = figuresOf(m, base);
      addRow(what, backend, f);
      return f;
    };

    // The floor: `count` do-nothing resources with `inputBytes` of input each.
    const floorWhat = `floor, ${count} resources x ${inputBytes} B`;
    const nodes: TestNode[] = [];
    try {
      const fileNode = floorNode(count, inputBytes);
      nodes.push(fileNode);
      const file = await measureOn(undefined, fileNode);
      row(floorWhat, "file://", file, file.result);
      for (const variant of variants) {
        const node = floorNode(count, inputBytes);
        nodes.push(node);
        await prepareDatabase(server, node, variant);
        row(floorWhat, variant.name, await measureOn(server, node, variant), file.result);
        console.error(`measured ${variant.name} (load average ${loadavg()[0].toFixed(1)})`);
      }
      for (const [name, fsync] of s3 ? ([[S3_NAME, true], [S3_NO_FSYNC_NAME, false]] as const) : []) {
        const node = floorNode(count, inputBytes);
        nodes.push(node);
        await prepareBucket(s3!, node, fsync);
        row(floorWhat, name, await measureOnS3(s3!, node), file.result);
        console.error(`measured ${name} (load average ${loadavg()[0].toFixed(1)})`);
      }
    } finally {
      for (const n of nodes) n.cleanup();
    }

    // A real node: every concern, `services` services, on file:// then on the recommended and the default database.
    const [services] = sizes("BENCH_BACKEND_SERVICES", "20");
    if (services > 0) {
      await ensureSharedPostgres();
      // The node's rows: file:// first (the base), then BENCH_BACKEND_NODE_ROWS (default: the recommended and the
      // default database, S3, and each with the CLI's zstd).
      type NodeRow = { name: string; variant?: Variant; s3?: true; env?: Record<string, string> };
      const nodeRows: NodeRow[] = [
        { name: "file://" },
        ...[1, 0, 5, 6, 7].map((i) => ({ name: VARIANTS[i].name, variant: VARIANTS[i] })),
        ...(s3 ? [{ name: S3_NAME, s3: true as const }, { name: S3_ZSTD_NAME, s3: true as const, env: ZSTD }] : []),
      ];
      const wantedNodeRows = process.env.BENCH_BACKEND_NODE_ROWS?.split(",").map(Number);
      const selected = nodeRows.filter((_, i) => i === 0 || !wantedNodeRows || wantedNodeRows.includes(i));
      // BENCH_BACKEND_REPEAT rounds, each every selected row in turn against that round's file://; then the
      // median of each row's rounds (one cold up varies by more than the differences looked for).
      const rounds = Number(process.env.BENCH_BACKEND_REPEAT ?? 1);
      const ups = new Map<string, Figures[]>();
      const what = `node, every concern, ${services} services`;
      for (let round = 1; round <= rounds; round++) {
        let base: UpAndPreview | undefined;
        for (const nodeRow of selected) {
          const full = new FullNode(`bench-backend-${services}`, services - 1);
          try {
            // The stack is made in the backend by start() (its secret config), so the database or bucket comes first.
            if (nodeRow.s3) await prepareBucket(s3!, full.node);
            else if (nodeRow.variant) await prepareDatabase(server, full.node, nodeRow.variant);
            await full.start();
            const m = nodeRow.s3 ? await measureOnS3(s3!, full.node, nodeRow.env) : await measureOn(nodeRow.variant ? server : undefined, full.node, nodeRow.variant);
            base ??= m.result;
            const figures = row(rounds > 1 ? `${what}, round ${round}` : what, nodeRow.name, m, base);
            ups.set(nodeRow.name, [...(ups.get(nodeRow.name) ?? []), figures]);
            console.error(`measured the node on ${nodeRow.name}, round ${round} (load average ${loadavg()[0].toFixed(1)})`);
          } finally {
            await full.stop();
          }
        }
      }
      if (rounds > 1) {
        for (const [name, all] of ups) {
          const medians = Object.fromEntries(Object.keys(all[0]).map((k) => [k, median(all.map((f) => f[k as keyof Figures]))])) as unknown as Figures;
          addRow(`${what}, median of ${rounds}`, name, medians);
        }
      }
      await stopSharedPostgres();
    }
  } finally {
    await s3?.stop();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  console.log(
    [
      `State backends, the same programs in one run (no-op preview: median of ${PREVIEW_RUNS}; PostgreSQL 15 on loopback with fsync, TLS, scram${s3 ? "; SeaweedFS on loopback with fsync, TLS, an access key" : ""}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}):`,
      ...markdownTable(["program", "backend", "resources", "cold up (s)", "up ratio to file", "no-op preview (s)", "preview ratio to file", "server CPU (s)", "server writes (MB)"], rows),
    ].join("\n"),
  );
});
