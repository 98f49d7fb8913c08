// The database clients' shared admin connections, on real servers: PostgreSQL (the shared server) and FerretDB.
// A run's inspections reuse one admin login per server instead of one each; failures stay one line.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as mongo from "../../components/databases/mongo";
import * as pg from "../../components/databases/postgres";
import { FerretdbServer } from "../support/ferretdb-server";
import { ensureSharedPostgres, SHARED_POSTGRES, stopSharedPostgres } from "../support/postgres-server";

beforeAll(ensureSharedPostgres, 120_000);
afterAll(stopSharedPostgres);

describe("PostgreSQL admin connections", { timeout: 60_000 }, () => {
  const server = () => ({ host: SHARED_POSTGRES.host, port: SHARED_POSTGRES.port, adminUser: SHARED_POSTGRES.user, adminDatabase: SHARED_POSTGRES.database, connectTimeoutMs: 5_000 });
  const backend = () => pg.withAdmin(server(), async (c) => (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid);

  it("back-to-back calls share one connection", async () => {
    const first = await backend();
    expect(await backend()).toBe(first);
    expect(await backend()).toBe(first);
  });

  it("a refused statement is one line, and the next call works on a fresh connection", async () => {
    const first = await backend();
    await expect(pg.withAdmin(server(), (c) => c.query("SELECT * FROM no_such_table_here"))).rejects.toThrow(/^PostgreSQL at .*: relation "no_such_table_here" does not exist$/);
    expect(await backend()).not.toBe(first);
  });

  it("a connection the server ends is one line and retired: the next call gets a fresh one", async () => {
    const first = await backend();
    await expect(pg.withAdmin(server(), (c) => c.query("SELECT pg_terminate_backend(pg_backend_pid())"))).rejects.toThrow(/^PostgreSQL at .*: terminating connection due to administrator command$/);
    const next = await backend();
    expect(next).not.toBe(first);
  });

  it("an unreachable server is one line naming it", async () => {
    await expect(pg.withAdmin({ ...server(), port: 1 }, async () => 1)).rejects.toThrow(/^cannot connect to PostgreSQL at 127\.0\.0\.1:1 as "\w+": /);
  });
});

describe("MongoDB (FerretDB) admin client", { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "db-clients-"));
  const ferret = new FerretdbServer(join(root, "state"));
  const server = () => ({ host: ferret.host, port: ferret.port, adminUser: ferret.adminUser, adminPassword: ferret.adminPassword, adminDatabase: ferret.adminDatabase, connectTimeoutMs: 3_000 });

  beforeAll(async () => {
    mkdirSync(ferret.stateDir, { recursive: true });
    await ferret.start();
  }, 120_000);
  afterAll(async () => {
    await ferret.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("calls close together share one client (one admin login), and a later call after it went idle logs in again", async () => {
    const [a, b] = await Promise.all([mongo.withAdmin(server(), async (c) => c), mongo.withAdmin(server(), async (c) => c)]);
    expect(b).toBe(a);
    expect(await mongo.withAdmin(server(), async (c) => c)).toBe(a);
    await new Promise((done) => setTimeout(done, 1_500));
    const later = await mongo.withAdmin(server(), async (c) => {
      expect((await c.db("admin").command({ ping: 1 })).ok).toBe(1);
      return c;
    });
    expect(later).not.toBe(a);
  });

  it("a wrong admin password is one line, and is not kept: the right one works next", async () => {
    await expect(mongo.withAdmin({ ...server(), adminPassword: "wrong" }, async () => 1)).rejects.toThrow(/^cannot connect to MongoDB at .* as "admin": authentication failed/);
    expect(await mongo.withAdmin(server(), async () => 2)).toBe(2);
  });

  it("a server that went away after the login is one line naming it", async () => {
    await mongo.withAdmin(server(), async () => undefined);
    await ferret.stop();
    try {
      await expect(mongo.withAdmin(server(), (c) => c.db("admin").command({ ping: 1 }))).rejects.toThrow(/^cannot connect to MongoDB at 127\.0\.0\.1:\d+ as "admin": /);
    } finally {
      await ferret.start();
    }
  });
});
