// The `edge-security:databases` section: PostgreSQL (the gateway's role and database, optionally one per service,
// and optionally one shared database with a login role and a schema per service) and MongoDB (one user per service). Schema, defaults and checks against the service list. No Pulumi in here.
import { z } from "zod";
import { defaultDbName, identifierProblem, mongoDatabaseProblem } from "./db-identifiers";

const identifier = z.string().superRefine((v, ctx) => {
  const problem = identifierProblem(v);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});
const mongoDatabase = z.string().superRefine((v, ctx) => {
  const problem = mongoDatabaseProblem(v);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});
const host = z.string().min(1, "must not be empty").refine((h) => !/[\s/@]/.test(h), (h) => ({ message: `${JSON.stringify(h)} is not a host name or address` }));
const port = z.number({ invalid_type_error: "must be a port number" }).int("must be a port number").min(1, "must be a port number (1-65535)").max(65535, "must be a port number (1-65535)");
const password = z.string({ invalid_type_error: "must be a string (set it with `pulumi config set --secret --path ...`)" }).min(1, "must not be empty");
const serviceName = z.string().min(1, "must name a service");

const postgresSchema = z
  .object({
    host: host.default("127.0.0.1"),
    port: port.default(5432),
    adminUser: identifier.default("postgres"),
    /** Absent for trust or peer authentication. A secret. */
    adminPassword: password.optional(),
    adminDatabase: identifier.default("postgres"),
    /** The gateway (Kong): its role (the credentials' username) and its database. */
    gateway: z.object({ service: serviceName, database: identifier.optional() }).strict().optional(),
    /** Optional: the same role + database for other services. */
    services: z.array(z.object({ service: serviceName, database: identifier.optional() }).strict()).default([]),
    /** Optional: one database shared by services, each with a login role (in a group) and a schema of its name. */
    sharedDatabase: z
      .object({
        name: identifier,
        group: identifier,
        services: z.array(z.object({ service: serviceName }).strict()).min(1, "must list at least one service"),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((pg) => pg.gateway || pg.services.length > 0 || pg.sharedDatabase, { message: "needs gateway, services or sharedDatabase" });

const mongoSchema = z
  .object({
    host: host.default("127.0.0.1"),
    port: port.default(27017),
    adminUser: identifier,
    /** A secret. */
    adminPassword: password,
    adminDatabase: mongoDatabase.default("admin"),
    /** Roles given on each service's own database unless the service lists its own. */
    defaultRoles: z.array(z.string().min(1, "must name a role")).default(["readWrite"]),
    /** Default: every service of the node. */
    services: z
      .array(
        z
          .object({
            service: serviceName,
            database: mongoDatabase.optional(),
            roles: z.array(z.object({ role: z.string().min(1, "must name a role"), db: mongoDatabase.optional() }).strict()).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export const databasesSchema = z
  .object({
    /** Bound on reaching each server (connect, and the MongoDB driver's server selection). */
    connectTimeoutSeconds: z.number({ invalid_type_error: "must be a number of seconds" }).positive("must be a positive number of seconds").max(600, "must be at most 600 seconds").default(10),
    postgres: postgresSchema.optional(),
    mongo: mongoSchema.optional(),
  })
  .strict();

export interface PostgresDatabaseConfig {
  service: string;
  database: string;
}

/** One database shared by services: a group with CONNECT and CREATE on it; per service a login role and a schema. */
export interface PostgresSharedDatabaseConfig {
  name: string;
  group: string;
  /** The services whose credentials' usernames become the login roles (and their schemas). */
  services: string[];
}

export interface PostgresConfig {
  host: string;
  port: number;
  adminUser: string;
  adminPassword?: string;
  adminDatabase: string;
  gateway?: PostgresDatabaseConfig;
  /** The gateway first (when set), then the per-service entries. */
  databases: PostgresDatabaseConfig[];
  sharedDatabase?: PostgresSharedDatabaseConfig;
}

export interface MongoUserConfig {
  service: string;
  database: string;
  roles: { role: string; db: string }[];
}

export interface MongoConfig {
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
  adminDatabase: string;
  users: MongoUserConfig[];
}

export interface DatabasesConfig {
  connectTimeoutMs: number;
  postgres?: PostgresConfig;
  mongo?: MongoConfig;
}

/** Reports a mistake at `path` (relative to the databases section) as one line; never returns. */
export type Fail = (path: (string | number)[], message: string) => never;

/** Checks the parsed section against the node's services and fills in the defaults that depend on them. */
export function resolveDatabases(parsed: z.infer<typeof databasesSchema>, serviceNames: readonly string[], fail: Fail): DatabasesConfig {
  const known = new Set(serviceNames);
  const mustBeService = (name: string, path: (string | number)[]) => {
    if (!known.has(name)) fail(path, `${JSON.stringify(name)} is not one of services[].name`);
  };
  const result: DatabasesConfig = { connectTimeoutMs: Math.round(parsed.connectTimeoutSeconds * 1000) };

  if (parsed.postgres) {
    const pg = parsed.postgres;
    const entries = [...(pg.gateway ? [{ ...pg.gateway, path: ["postgres", "gateway"] }] : []), ...pg.services.map((s, i) => ({ ...s, path: ["postgres", "services", i] }))];
    const services = new Set<string>();
    const databases = new Set<string>();
    const resolved = entries.map(({ service, database, path }) => {
      mustBeService(service, [...path, "service"]);
      if (services.has(service)) fail([...path, "service"], `${JSON.stringify(service)} already has a PostgreSQL database`);
      services.add(service);
      const name = database ?? defaultDbName(service);
      if (databases.has(name)) fail([...path, database ? "database" : "service"], `database ${JSON.stringify(name)} is already used by another service`);
      databases.add(name);
      return { service, database: name };
    });
    let sharedDatabase: PostgresSharedDatabaseConfig | undefined;
    if (pg.sharedDatabase) {
      const shared = pg.sharedDatabase;
      const at = (...rest: (string | number)[]) => ["postgres", "sharedDatabase", ...rest];
      if (databases.has(shared.name)) fail(at("name"), `database ${JSON.stringify(shared.name)} is already used by another service`);
      if (shared.group === pg.adminUser) fail(at("group"), `${JSON.stringify(shared.group)} is the admin user`);
      shared.services.forEach(({ service }, i) => {
        mustBeService(service, at("services", i, "service"));
        if (services.has(service)) fail(at("services", i, "service"), `${JSON.stringify(service)} already has a PostgreSQL role`);
        services.add(service);
      });
      sharedDatabase = { name: shared.name, group: shared.group, services: shared.services.map((s) => s.service) };
    }
    result.postgres = {
      host: pg.host,
      port: pg.port,
      adminUser: pg.adminUser,
      adminPassword: pg.adminPassword,
      adminDatabase: pg.adminDatabase,
      ...(pg.gateway ? { gateway: resolved[0] } : {}),
      databases: resolved,
      ...(sharedDatabase ? { sharedDatabase } : {}),
    };
  }

  if (parsed.mongo) {
    const mongo = parsed.mongo;
    const seen = new Set<string>();
    const entries = mongo.services ?? serviceNames.map((service) => ({ service, database: undefined, roles: undefined }));
    const users = entries.map((entry, i) => {
      mustBeService(entry.service, ["mongo", "services", i, "service"]);
      if (seen.has(entry.service)) fail(["mongo", "services", i, "service"], `${JSON.stringify(entry.service)} is listed twice`);
      seen.add(entry.service);
      const database = entry.database ?? defaultDbName(entry.service);
      const roles = entry.roles ? entry.roles.map((r) => ({ role: r.role, db: r.db ?? database })) : mongo.defaultRoles.map((role) => ({ role, db: database }));
      return { service: entry.service, database, roles };
    });
    result.mongo = { host: mongo.host, port: mongo.port, adminUser: mongo.adminUser, adminPassword: mongo.adminPassword, adminDatabase: mongo.adminDatabase, users };
  }
  return result;
}

/** Whether the section holds a password (it must then come from a secret config value). */
export function hasAdminPassword(config: DatabasesConfig | undefined): boolean {
  return Boolean(config?.postgres?.adminPassword || config?.mongo?.adminPassword);
}
