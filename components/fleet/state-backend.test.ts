import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { postgresBackend, prepareSql, sharedBackendCliEnv } from "./state-backend";

const ca = join(mkdtempSync(join(tmpdir(), "edge-sb-")), "ca.pem");
writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
const url = (q: string, auth = "pulumi") => `postgres://${auth}@db.example:5433/state?${q}`;

describe("postgresBackend", () => {
  it("leaves other backends alone", () => {
    expect(postgresBackend("file:///tmp/state")).toBeUndefined();
    expect(postgresBackend("s3://bucket")).toBeUndefined();
  });

  it("builds node-postgres settings with verified TLS and no password", () => {
    const b = postgresBackend(url(`sslmode=verify-full&sslrootcert=${ca}&table=fleet_state`), {})!;
    expect(b.client).toMatchObject({ host: "db.example", port: 5433, user: "pulumi", database: "state", ssl: { rejectUnauthorized: true } });
    expect(b.table).toBe("fleet_state");
    expect(b.display).toBe("postgres://pulumi@db.example:5433/state");
  });

  it("reads the password from the PGPASSFILE when the server asks, the entry matching host, port, database and user", async () => {
    const b = postgresBackend(url(`sslmode=verify-full&sslrootcert=${ca}`), {})!;
    const other = postgresBackend(`postgres://someone@db.example:5433/state?sslmode=verify-full&sslrootcert=${ca}`, {})!;
    const file = join(mkdtempSync(join(tmpdir(), "edge-pgpass-")), "pgpass");
    writeFileSync(file, "db.example:5432:state:pulumi:wrong-port\ndb.example:5433:state:pulumi:s3cret\n", { mode: 0o600 });
    const saved = process.env.PGPASSFILE;
    process.env.PGPASSFILE = file;
    try {
      const password = b.client.password as () => Promise<string | undefined>;
      expect(await password()).toBe("s3cret");
      expect(await (other.client.password as () => Promise<string | undefined>)()).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.PGPASSFILE;
      else process.env.PGPASSFILE = saved;
    }
  });

  it("takes libpq's environment where the URL is silent", () => {
    const b = postgresBackend("postgres://", { PGHOST: "h", PGUSER: "u", PGSSLMODE: "verify-ca", PGSSLROOTCERT: ca })!;
    expect(b.client).toMatchObject({ host: "h", user: "u", database: "u", port: 5432 });
  });

  it("refuses, in one line naming PULUMI_BACKEND_URL, a password, unverified TLS, a missing CA, a bad table", () => {
    expect(() => postgresBackend(url(`sslmode=verify-full&sslrootcert=${ca}`, "pulumi:s3cret"), {})).toThrow(/^PULUMI_BACKEND_URL: carries a password; put it in a PGPASSFILE/);
    expect(() => postgresBackend(url(`sslmode=require&sslrootcert=${ca}`), {})).toThrow(/^PULUMI_BACKEND_URL: sslmode=require; a shared state backend needs sslmode=verify-full/);
    expect(() => postgresBackend(url(""), {})).toThrow(/^PULUMI_BACKEND_URL: sslmode=prefer;/);
    expect(() => postgresBackend(url("sslmode=verify-full"), {})).toThrow(/^PULUMI_BACKEND_URL: sslrootcert=<ca.pem> \(or PGSSLROOTCERT\) is required/);
    expect(() => postgresBackend(url("sslmode=verify-full&sslrootcert=/nope/ca.pem"), {})).toThrow("PULUMI_BACKEND_URL: sslrootcert /nope/ca.pem cannot be read");
    expect(() => postgresBackend(url(`sslmode=verify-full&sslrootcert=${ca}&table=x;drop`), {})).toThrow(/^PULUMI_BACKEND_URL: table=x;drop is not a plain lower-case SQL name$/);
  });
});

describe("prepareSql", () => {
  it("makes Pulumi's own table shape with lz4 values", () => {
    const statements = prepareSql("pulumi_state");
    expect(statements[0]).toBe("CREATE TABLE IF NOT EXISTS pulumi_state (key TEXT PRIMARY KEY, data JSON NOT NULL, updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now())");
    expect(statements).toContain("ALTER TABLE pulumi_state ALTER COLUMN data SET COMPRESSION lz4");
    expect(() => prepareSql("a b")).toThrow("table a b is not a plain lower-case SQL name");
  });
});

describe("sharedBackendCliEnv", () => {
  const PG = "postgres://state@db.example:5432/state?sslmode=verify-full&sslrootcert=/ca.pem";
  it("compresses checkpoints with zstd on a shared backend, and lists a postgres backend's stacks one read at a time", () => {
    expect(sharedBackendCliEnv(PG, {})).toEqual({ PULUMI_DIY_BACKEND_ZSTD: "true", PULUMI_DIY_BACKEND_PARALLEL: "1" });
    expect(sharedBackendCliEnv("s3://state?region=x", {})).toEqual({ PULUMI_DIY_BACKEND_ZSTD: "true" });
  });
  it("leaves a file backend, and what the operator set, alone", () => {
    expect(sharedBackendCliEnv("file:///var/lib/state?metadata=skip", {})).toEqual({});
    expect(sharedBackendCliEnv(PG, { PULUMI_DIY_BACKEND_ZSTD: "false", PULUMI_DIY_BACKEND_PARALLEL: "4" })).toEqual({});
    // The CLI refuses gzip and zstd together: an operator's gzip stays the only compression.
    expect(sharedBackendCliEnv("s3://state", { PULUMI_DIY_BACKEND_GZIP: "true" })).toEqual({});
    expect(sharedBackendCliEnv("s3://state", { PULUMI_SELF_MANAGED_STATE_GZIP: "1" })).toEqual({});
  });
});
