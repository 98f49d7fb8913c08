// The databases part of an EdgeNode's graph, registered against Pulumi mocks (no engine, no server), and the
// providers' `check`, taken from their serialized form as the dynamic-provider host gets them.
import Module from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { loadProvider, serializedProviderMocks } from "../../test/fixtures/provider-code";
import { isSecretOnWire, lookups, recordingMocks, valueOf, waitForRegistrations } from "../../test/support/recording-mocks";

const T = {
  creds: "pulumi-nodejs:dynamic/edge-security:ServiceDbCredentials",
  postgres: "pulumi-nodejs:dynamic/edge-security:PostgresRoleDatabase",
  schemaRole: "pulumi-nodejs:dynamic/edge-security:PostgresSchemaRole",
  mongo: "pulumi-nodejs:dynamic/edge-security:MongoUser",
  file: "pulumi-nodejs:dynamic/edge-security:PlainFile",
  databases: "edge-security:databases:Databases",
  node: "edge-security:node:EdgeNode",
};
const { register } = Module.createRequire(__filename)("tsx/cjs/api") as { register(): () => void };

/** Fake outputs: the credentials' username and password (as the secret store's resource would give them). */
const credentialOutputs = (args: pulumi.runtime.MockResourceArgs): Record<string, unknown> => ({
  serialNumber: `serial-${args.name}`,
  username: args.inputs.username ?? (args.inputs.service ? `user_${args.inputs.service}` : undefined),
  password: args.inputs.password ?? (args.type.endsWith(":ServiceDbCredentials") ? `password of ${args.name}` : undefined),
});

const SERVICES = [{ name: "kong" }, { name: "core-data" }, { name: "device-virtual" }];

async function buildNode(databases: unknown) {
  const { parseNodeConfig } = await import("../node-config");
  // The passwords come from the secret store, so the stack has one (its own service gets no credentials).
  const config = parseNodeConfig({ secretsRoot: "/run/unit/secrets", services: [{ name: "secretstore" }, ...SERVICES], secretStore: {}, databases });
  const registrations = await recordingMocks(credentialOutputs);
  const { EdgeNode } = await import("../edge-node");
  const node = new EdgeNode("node", { config, custodySecret: pulumi.secret("custody-secret-custody-secret-custody") });
  const services = await valueOf(node.outputs.services);
  const dbOutputs = node.outputs.databases && {
    postgres: node.outputs.databases.postgres && { ...node.outputs.databases.postgres, database: await valueOf(node.outputs.databases.postgres.database), role: node.outputs.databases.postgres.role && (await valueOf(node.outputs.databases.postgres.role)) },
    mongo: node.outputs.databases.mongo,
  };
  await waitForRegistrations();
  return { node, registrations, services, dbOutputs, ...lookups(registrations) };
}

describe("EdgeNode with databases (Pulumi mocks)", { timeout: 120_000 }, () => {
  const DATABASES = {
    postgres: { adminPassword: "pg-admin-pw", gateway: { service: "kong" }, services: [{ service: "core-data" }] },
    mongo: { port: 27018, adminUser: "admin", adminPassword: "mongo-admin-pw", services: [{ service: "core-data" }, { service: "device-virtual", roles: [{ role: "read" }] }] },
  };

  it("registers nothing new without a databases section, and no mongoUser output", async () => {
    const { count, services, node } = await buildNode(undefined);
    expect(count(T.postgres) + count(T.mongo) + count(T.databases)).toBe(0);
    expect(services.kong).not.toHaveProperty("mongoUser");
    expect(node.outputs).not.toHaveProperty("databases");
  });

  it("registers credentials per service, the PostgreSQL roles and the Mongo users, under a Databases component", async () => {
    const { find, count, registrations } = await buildNode(DATABASES);
    expect(count(T.creds)).toBe(3);
    expect(count(T.postgres)).toBe(2);
    expect(count(T.mongo)).toBe(2);
    const databases = find(T.databases, "databases");
    expect(databases.parent).toBe(find(T.node, "node").urn);
    for (const r of registrations.filter((r) => r.type === T.postgres || r.type === T.mongo)) expect(r.parent).toBe(databases.urn);

    const gateway = find(T.postgres, "kong-postgres");
    expect(gateway.inputs).toMatchObject({ host: "127.0.0.1", port: 5432, adminUser: "postgres", adminDatabase: "postgres", connectTimeoutMs: 10_000, database: "kong", role: "kong" });
    expect(find(T.postgres, "core-data-postgres").inputs).toMatchObject({ database: "core_data", role: "core_data" });
    expect(find(T.mongo, "device-virtual-mongo-user").inputs).toMatchObject({ port: 27018, adminUser: "admin", adminDatabase: "admin", username: "device_virtual", database: "device_virtual", roles: [{ role: "read", db: "device_virtual" }] });
    expect(find(T.mongo, "core-data-mongo-user").inputs.roles).toEqual([{ role: "readWrite", db: "core_data" }]);
  });

  it("sends every password as a secret, marks them secret outputs, and replaces delete-first", async () => {
    const { find } = await buildNode(DATABASES);
    for (const s of SERVICES) expect(find(T.creds, `${s.name}-db-credentials`).additionalSecretOutputs).toContain("password");
    for (const r of [find(T.postgres, "kong-postgres"), find(T.mongo, "core-data-mongo-user")]) {
      expect(isSecretOnWire(r.wire.password), `${r.name} password`).toBe(true);
      expect(isSecretOnWire(r.wire.adminPassword), `${r.name} adminPassword`).toBe(true);
      expect(r.additionalSecretOutputs.sort()).toEqual(["adminPassword", "password"]);
      expect(r.deleteBeforeReplace).toBe(true);
    }
  });

  it("writes each service's readiness file after its database resources", async () => {
    const { find } = await buildNode(DATABASES);
    const ready = (s: string) => find(T.file, `${s}-ready`).dependencies;
    expect(ready("kong")).toContain(find(T.postgres, "kong-postgres").urn);
    expect(ready("core-data")).toEqual(expect.arrayContaining([find(T.postgres, "core-data-postgres").urn, find(T.mongo, "core-data-mongo-user").urn]));
    expect(ready("device-virtual")).toContain(find(T.mongo, "device-virtual-mongo-user").urn);
    expect(ready("kong")).not.toContain(find(T.mongo, "core-data-mongo-user").urn);
  });

  it("outputs where the databases are, and mongoUser for the services that have one", async () => {
    const { services, dbOutputs } = await buildNode(DATABASES);
    expect(dbOutputs).toEqual({ postgres: { host: "127.0.0.1", port: 5432, database: "kong", role: "kong" }, mongo: { uri: "mongodb://127.0.0.1:27018" } });
    expect(services["core-data"].mongoUser).toBe("core_data");
    expect(services["device-virtual"].mongoUser).toBe("device_virtual");
    expect(services.kong).not.toHaveProperty("mongoUser");
  });

  it("with sharedDatabase: one schema role per listed service in the shared database and group, before its readiness file", async () => {
    const { find, count, dbOutputs } = await buildNode({ postgres: { sharedDatabase: { name: "app_db", group: "app_user", services: [{ service: "core-data" }, { service: "device-virtual" }] } } });
    expect(count(T.postgres)).toBe(0);
    expect(count(T.schemaRole)).toBe(2);
    const role = find(T.schemaRole, "core-data-postgres-schema");
    expect(role.inputs).toMatchObject({ host: "127.0.0.1", port: 5432, adminUser: "postgres", adminDatabase: "postgres", database: "app_db", group: "app_user", role: "core_data" });
    expect(find(T.schemaRole, "device-virtual-postgres-schema").inputs).toMatchObject({ database: "app_db", group: "app_user", role: "device_virtual" });
    expect(isSecretOnWire(role.wire.password)).toBe(true);
    expect(role.additionalSecretOutputs.sort()).toEqual(["adminPassword", "password"]);
    expect(role.deleteBeforeReplace).toBe(true);
    expect(role.parent).toBe(find(T.databases, "databases").urn);
    expect(find(T.file, "core-data-ready").dependencies).toContain(role.urn);
    expect(find(T.file, "kong-ready").dependencies).not.toContain(role.urn);
    expect(dbOutputs).toEqual({ postgres: { host: "127.0.0.1", port: 5432, database: "app_db", role: undefined }, mongo: undefined });
  });
});

describe("database providers' check (as the dynamic-provider host loads them)", { timeout: 120_000 }, () => {
  type Provider = Required<pulumi.dynamic.ResourceProvider>;
  const providers = {} as Record<"PostgresRoleDatabase" | "PostgresSchemaRole" | "MongoUser", Provider>;

  beforeAll(async () => {
    const unregister = register();
    const serialized = await serializedProviderMocks("unit");
    const { PostgresRoleDatabase } = await import("./postgres-role-database");
    const { MongoUser } = await import("./mongo-user");
    const { PostgresSchemaRole } = await import("./postgres-schema-role");
    const admin = { host: "h", port: 1, adminUser: "a", adminPassword: "p", adminDatabase: "d", connectTimeoutMs: 1 };
    new PostgresRoleDatabase("pg", { ...admin, role: "r", password: "p", database: "d" });
    new MongoUser("mongo", { ...admin, username: "u", password: "p", database: "d", roles: [] });
    new PostgresSchemaRole("schema", { ...admin, database: "d", group: "g", role: "r", password: "p" });
    await waitForRegistrations();
    for (const name of Object.keys({ PostgresRoleDatabase: 1, PostgresSchemaRole: 1, MongoUser: 1 }) as (keyof typeof providers)[]) {
      providers[name] = loadProvider(serialized[`pulumi-nodejs:dynamic/edge-security:${name}`]) as Provider;
    }
    return unregister;
  }, 60_000);

  const pgInputs = { host: "127.0.0.1", port: 5432, adminUser: "postgres", adminDatabase: "postgres", connectTimeoutMs: 1000, role: "kong", password: "pw", database: "kong" };
  const schemaInputs = { ...pgInputs, role: "core_data", database: "app_db", group: "app_user" };
  const mongoInputs = { ...pgInputs, port: 27017, adminUser: "admin", adminPassword: "x", adminDatabase: "admin", username: "kong", roles: [{ role: "readWrite", db: "kong" }] };

  it("accepts good inputs", async () => {
    expect((await providers.PostgresRoleDatabase.check({}, pgInputs)).failures).toEqual([]);
    expect((await providers.MongoUser.check({}, mongoInputs)).failures).toEqual([]);
    expect((await providers.PostgresSchemaRole.check({}, schemaInputs)).failures).toEqual([]);
  });

  it("refuses a schema role named like its group or the admin, or with a bad name, naming the property", async () => {
    expect((await providers.PostgresSchemaRole.check({}, { ...schemaInputs, role: "app_user" })).failures).toEqual([{ property: "role", reason: '"app_user" is also the group\'s name' }]);
    expect((await providers.PostgresSchemaRole.check({}, { ...schemaInputs, role: "postgres" })).failures).toEqual([{ property: "role", reason: '"postgres" is the admin user' }]);
    expect((await providers.PostgresSchemaRole.check({}, { ...schemaInputs, group: 'g"' })).failures).toEqual([{ property: "group", reason: '"g\\"" contains a quote or NUL character' }]);
  });

  it("refuses a user name from the secret store with a quote, NUL or 64 bytes, naming the property", async () => {
    expect((await providers.PostgresRoleDatabase.check({}, { ...pgInputs, role: 'kong"' })).failures).toEqual([{ property: "role", reason: '"kong\\"" contains a quote or NUL character' }]);
    expect((await providers.MongoUser.check({}, { ...mongoInputs, username: "a\0" })).failures).toEqual([{ property: "username", reason: '"a\\u0000" contains a quote or NUL character' }]);
    expect((await providers.PostgresRoleDatabase.check({}, { ...pgInputs, role: "r".repeat(64) })).failures?.[0]).toMatchObject({ property: "role", reason: expect.stringContaining("is 64 bytes long") });
    expect((await providers.PostgresRoleDatabase.check({}, { ...pgInputs, password: "" })).failures).toEqual([{ property: "password", reason: "must be a non-empty string" }]);
    expect((await providers.MongoUser.check({}, { ...mongoInputs, roles: [{ role: "x", db: "a/b" }] })).failures).toEqual([{ property: "roles", reason: "must be a list of { role, db } with valid names" }]);
  });
});
