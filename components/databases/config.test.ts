// The databases section of the config, the name rules, and the SCRAM verifier of the PostgreSQL client
// (plain code, no server; the integration tests run the same code against real servers).
import { describe, expect, it } from "vitest";
import { defaultDbName, identifierProblem, mongoDatabaseProblem } from "./db-identifiers";
import { rolesFor } from "./mongo";
import { scramSha256Verifier, storedPasswordMatches } from "./postgres";
import { parseNodeConfig } from "../node-config";

const SERVICES = [{ name: "kong" }, { name: "core-data" }, { name: "Core.Metadata" }];
// Database passwords come from the secret store, so every stack with databases has one (its own service, which
// gets no credentials, is left out of the defaults).
const parse = (databases: unknown, services: unknown[] = SERVICES) => parseNodeConfig({ services: [{ name: "secretstore" }, ...services], secretStore: {}, databases });
const errorOf = (databases: unknown) => {
  try {
    parse(databases);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("no error");
};
const mongo = { adminUser: "admin", adminPassword: "secret" };

describe("databases config", () => {
  it("is optional: existing stacks keep working", () => {
    expect(parseNodeConfig({ services: SERVICES })).not.toHaveProperty("databases");
  });

  it("needs the secret store the passwords come from", () => {
    expect(() => parseNodeConfig({ services: SERVICES, databases: { postgres: { gateway: { service: "kong" } } } })).toThrow(
      "edge-security:databases: needs secretStore (the database passwords are generated and kept there)",
    );
  });

  it("fills in defaults: loopback servers, the service's own database, readWrite on it for every service", () => {
    const { databases } = parse({ postgres: { gateway: { service: "kong" } }, mongo });
    expect(databases).toEqual({
      connectTimeoutMs: 10_000,
      postgres: {
        host: "127.0.0.1",
        port: 5432,
        adminUser: "postgres",
        adminPassword: undefined,
        adminDatabase: "postgres",
        gateway: { service: "kong", database: "kong" },
        databases: [{ service: "kong", database: "kong" }],
      },
      mongo: {
        host: "127.0.0.1",
        port: 27017,
        adminUser: "admin",
        adminPassword: "secret",
        adminDatabase: "admin",
        users: [
          { service: "kong", database: "kong", roles: [{ role: "readWrite", db: "kong" }] },
          { service: "core-data", database: "core_data", roles: [{ role: "readWrite", db: "core_data" }] },
          { service: "Core.Metadata", database: "core_metadata", roles: [{ role: "readWrite", db: "core_metadata" }] },
        ],
      },
    });
  });

  it("takes per-service PostgreSQL databases, chosen Mongo services, names and roles", () => {
    const { databases } = parse({
      connectTimeoutSeconds: 2.5,
      postgres: { host: "db.local", port: 6543, adminPassword: "pw", gateway: { service: "kong", database: "kong_db" }, services: [{ service: "core-data" }] },
      mongo: { ...mongo, defaultRoles: ["read"], services: [{ service: "core-data" }, { service: "kong", database: "gw", roles: [{ role: "readWrite" }, { role: "read", db: "audit" }] }] },
    });
    expect(databases!.connectTimeoutMs).toBe(2500);
    expect(databases!.postgres!.databases).toEqual([
      { service: "kong", database: "kong_db" },
      { service: "core-data", database: "core_data" },
    ]);
    expect(databases!.mongo!.users).toEqual([
      { service: "core-data", database: "core_data", roles: [{ role: "read", db: "core_data" }] },
      { service: "kong", database: "gw", roles: [{ role: "readWrite", db: "gw" }, { role: "read", db: "audit" }] },
    ]);
  });

  it("takes a shared database with a schema role per service, with or without the gateway's own database", () => {
    const { databases } = parse({ postgres: { sharedDatabase: { name: "app_db", group: "app_user", services: [{ service: "core-data" }, { service: "Core.Metadata" }] } } });
    expect(databases!.postgres).toEqual({
      host: "127.0.0.1",
      port: 5432,
      adminUser: "postgres",
      adminPassword: undefined,
      adminDatabase: "postgres",
      databases: [],
      sharedDatabase: { name: "app_db", group: "app_user", services: ["core-data", "Core.Metadata"] },
    });
    const both = parse({ postgres: { gateway: { service: "kong" }, sharedDatabase: { name: "app_db", group: "app_user", services: [{ service: "core-data" }] } } });
    expect(both.databases!.postgres!.gateway).toEqual({ service: "kong", database: "kong" });
    expect(both.databases!.postgres!.sharedDatabase!.services).toEqual(["core-data"]);
  });

  it.each([
    [{ postgres: { gateway: { service: "kong", database: 'kong"x' } } }, 'edge-security:databases.postgres.gateway.database: "kong\\"x" contains a quote or NUL character'],
    [{ postgres: { gateway: { service: "kong", database: "it's" } } }, `edge-security:databases.postgres.gateway.database: "it's" contains a quote or NUL character`],
    [{ postgres: { gateway: { service: "kong", database: "a\0b" } } }, 'edge-security:databases.postgres.gateway.database: "a\\u0000b" contains a quote or NUL character'],
    [{ postgres: { gateway: { service: "kong", database: "x".repeat(64) } } }, `edge-security:databases.postgres.gateway.database: "${"x".repeat(64)}" is 64 bytes long; at most 63 bytes are allowed (PostgreSQL NAMEDATALEN)`],
    [{ postgres: { adminUser: "ü".repeat(32), gateway: { service: "kong" } } }, `edge-security:databases.postgres.adminUser: "${"ü".repeat(32)}" is 64 bytes long; at most 63 bytes are allowed (PostgreSQL NAMEDATALEN)`],
    [{ postgres: { gateway: { service: "gateway" } } }, 'edge-security:databases.postgres.gateway.service: "gateway" is not one of services[].name'],
    [{ postgres: {} }, "edge-security:databases.postgres: needs gateway, services or sharedDatabase"],
    [{ postgres: { sharedDatabase: { name: "app_db", group: "app_user", services: [] } } }, "edge-security:databases.postgres.sharedDatabase.services: must list at least one service"],
    [{ postgres: { sharedDatabase: { name: "app_db", services: [{ service: "kong" }] } } }, "edge-security:databases.postgres.sharedDatabase.group: is required"],
    [{ postgres: { sharedDatabase: { name: "app_db", group: "app_user", services: [{ service: "nope" }] } } }, 'edge-security:databases.postgres.sharedDatabase.services[0].service: "nope" is not one of services[].name'],
    [{ postgres: { gateway: { service: "kong" }, sharedDatabase: { name: "app_db", group: "app_user", services: [{ service: "kong" }] } } }, 'edge-security:databases.postgres.sharedDatabase.services[0].service: "kong" already has a PostgreSQL role'],
    [{ postgres: { sharedDatabase: { name: "app_db", group: "app_user", services: [{ service: "kong" }, { service: "kong" }] } } }, 'edge-security:databases.postgres.sharedDatabase.services[1].service: "kong" already has a PostgreSQL role'],
    [{ postgres: { gateway: { service: "kong" }, sharedDatabase: { name: "kong", group: "app_user", services: [{ service: "core-data" }] } } }, 'edge-security:databases.postgres.sharedDatabase.name: database "kong" is already used by another service'],
    [{ postgres: { sharedDatabase: { name: "app_db", group: "postgres", services: [{ service: "kong" }] } } }, 'edge-security:databases.postgres.sharedDatabase.group: "postgres" is the admin user'],
    [{ postgres: { sharedDatabase: { name: 'a"b', group: "g", services: [{ service: "kong" }] } } }, 'edge-security:databases.postgres.sharedDatabase.name: "a\\"b" contains a quote or NUL character'],
    [{ postgres: { port: 70000, gateway: { service: "kong" } } }, "edge-security:databases.postgres.port: must be a port number (1-65535)"],
    [{ postgres: { port: "5432", gateway: { service: "kong" } } }, "edge-security:databases.postgres.port: must be a port number"],
    [{ postgres: { host: "a b", gateway: { service: "kong" } } }, 'edge-security:databases.postgres.host: "a b" is not a host name or address'],
    [{ postgres: { gateway: { service: "kong" }, services: [{ service: "kong" }] } }, 'edge-security:databases.postgres.services[0].service: "kong" already has a PostgreSQL database'],
    [{ postgres: { gateway: { service: "kong" }, services: [{ service: "core-data", database: "kong" }] } }, 'edge-security:databases.postgres.services[0].database: database "kong" is already used by another service'],
    [{ postgres: { gateway: { service: "kong" }, pasword: "x" } }, "edge-security:databases.postgres.pasword: is not a known setting"],
    [{ mongo: { adminUser: "admin" } }, "edge-security:databases.mongo.adminPassword: is required"],
    [{ mongo: { ...mongo, services: [{ service: "nope" }] } }, 'edge-security:databases.mongo.services[0].service: "nope" is not one of services[].name'],
    [{ mongo: { ...mongo, services: [{ service: "kong" }, { service: "kong" }] } }, 'edge-security:databases.mongo.services[1].service: "kong" is listed twice'],
    [{ mongo: { ...mongo, services: [{ service: "kong", database: "a.b" }] } }, 'edge-security:databases.mongo.services[0].database: "a.b" is not a valid MongoDB database name (no /\\. "$*<>:|? characters)'],
    [{ mongo: { ...mongo, services: [{ service: "kong", roles: [{ role: "" }] }] } }, "edge-security:databases.mongo.services[0].roles[0].role: must name a role"],
    [{ connectTimeoutSeconds: 0 }, "edge-security:databases.connectTimeoutSeconds: must be a positive number of seconds"],
  ])("refuses %j in one line", (databases, message) => {
    expect(errorOf(databases)).toBe(message);
  });
});

describe("database names", () => {
  it("accepts up to 63 bytes without quotes or NUL", () => {
    expect(identifierProblem("kong")).toBeUndefined();
    expect(identifierProblem("x".repeat(63))).toBeUndefined();
    expect(identifierProblem("é".repeat(31))).toBeUndefined(); // 62 bytes
    expect(identifierProblem("é".repeat(32))).toMatch(/is 64 bytes long/);
    expect(identifierProblem("")).toBe("must be a non-empty string");
    expect(identifierProblem(undefined)).toBe("must be a non-empty string");
    expect(mongoDatabaseProblem("core_data")).toBeUndefined();
    expect(mongoDatabaseProblem("a$b")).toMatch(/not a valid MongoDB database name/);
  });

  it("derives a service's default name: lower case, [a-z0-9_] only", () => {
    expect(defaultDbName("Core.Metadata-2")).toBe("core_metadata_2");
    expect(defaultDbName("kong")).toBe("kong");
  });
});

describe("SCRAM-SHA-256 verifier (what PostgreSQL stores instead of the password)", () => {
  // Made by PostgreSQL 15 itself (CREATE ROLE ... PASSWORD 'pencil'; SELECT rolpassword FROM pg_authid).
  const PG_MADE = "SCRAM-SHA-256$4096:56JKatSqbplR2YZ/QtAYjw==$pZCGqqg5DbiYCvmP8wWkwFKDR+mLU1j/tvGlCW2GSY8=:jPugZPlGOAw4P8iaPjigR/icojXoQgtA28Mqouf4cA0=";
  // ... for the password "café-Ⅸ": PostgreSQL applies SASLprep (NFKC: Ⅸ -> IX) before hashing.
  const PG_MADE_UNICODE = "SCRAM-SHA-256$4096:l8Q29W95kQ6blSAVcFDgag==$Zwsm0NlOPu9ATtgRtN2GyVbMzPTGK6bt4hVUb1zyLFg=:rKxhQa1FTCTSBbxuqIEer33HJfV83kjZkmV//SZoi8w=";

  it("computes the same verifier as PostgreSQL for the same salt", () => {
    expect(scramSha256Verifier("pencil", Buffer.from("56JKatSqbplR2YZ/QtAYjw==", "base64"), 4096)).toBe(PG_MADE);
    expect(storedPasswordMatches(PG_MADE, "pencil", "any")).toBe(true);
    expect(storedPasswordMatches(PG_MADE, "pencil2", "any")).toBe(false);
    expect(storedPasswordMatches(PG_MADE_UNICODE, "café-Ⅸ", "any")).toBe(true);
    expect(storedPasswordMatches(PG_MADE_UNICODE, "café-IX", "any")).toBe(true);
    expect(storedPasswordMatches(PG_MADE_UNICODE, "cafe-IX", "any")).toBe(false);
  });

  it("uses a fresh salt each time and never contains the password", () => {
    const a = scramSha256Verifier("correct horse");
    const b = scramSha256Verifier("correct horse");
    expect(a).not.toBe(b);
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(a).not.toContain("correct horse");
    expect(storedPasswordMatches(a, "correct horse", "r")).toBe(true);
  });

  it("also checks a legacy md5 password, and treats no password as a mismatch", () => {
    // Made by PostgreSQL 15 with password_encryption = md5 for role vec_tmp_x9, password "pencil".
    expect(storedPasswordMatches("md5f1dd958fa7bfeacff59b3f5708132c52", "pencil", "vec_tmp_x9")).toBe(true);
    expect(storedPasswordMatches("md5f1dd958fa7bfeacff59b3f5708132c52", "pencil", "other")).toBe(false);
    expect(storedPasswordMatches(null, "pencil", "r")).toBe(false);
  });
});

describe("Mongo roles by server kind", () => {
  it("sends the roles to MongoDB and none to FerretDB v1", () => {
    const roles = [{ role: "readWrite", db: "core_data" }];
    expect(rolesFor("mongodb", roles)).toEqual(roles);
    expect(rolesFor("ferretdb", roles)).toEqual([]);
  });
});
