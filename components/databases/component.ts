// The node's databases: the gateway's PostgreSQL role and database (and, as options, one per service, or one
// shared database with a login role and a schema per service), and one MongoDB user per service. Every password comes from the secret store's credentials; admin passwords are secrets.
import * as pulumi from "../shared/pulumi";
import type { DatabasesConfig } from "./config";
import { MongoUser } from "./mongo-user";
import { PostgresRoleDatabase } from "./postgres-role-database";
import { PostgresSchemaRole } from "./postgres-schema-role";

/** One service's credentials as the secret store gives them (`<service>-db-credentials`). */
export interface DbCredentials {
  username: pulumi.Output<string>;
  password: pulumi.Output<string>;
}

export interface DatabasesArgs extends DatabasesConfig {
  readonly credentials: Record<string, DbCredentials>;
}

export interface DatabasesOutputs {
  /** The gateway's database and role; without a gateway, the shared database (no role). */
  postgres?: { host: string; port: number; database: pulumi.Output<string>; role?: pulumi.Output<string> };
  mongo?: { uri: string };
}

export class Databases extends pulumi.ComponentResource {
  /** What must exist before each service's readiness file. */
  readonly serviceResources: Record<string, pulumi.Resource[]> = {};
  readonly postgresDatabases: Record<string, PostgresRoleDatabase> = {};
  readonly postgresSchemaRoles: Record<string, PostgresSchemaRole> = {};
  readonly mongoUsers: Record<string, MongoUser> = {};
  readonly outputs: DatabasesOutputs = {};

  constructor(name: string, args: DatabasesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:databases:Databases", name, {}, opts);
    const credentialsOf = (service: string) => {
      const creds = args.credentials[service];
      if (!creds) throw new Error(`no database credentials for service ${JSON.stringify(service)}`);
      return creds;
    };
    const needs = (service: string, resource: pulumi.Resource) => (this.serviceResources[service] ??= []).push(resource);

    const pg = args.postgres;
    if (pg) {
      const admin = {
        host: pg.host,
        port: pg.port,
        adminUser: pg.adminUser,
        adminPassword: pg.adminPassword === undefined ? undefined : pulumi.secret(pg.adminPassword),
        adminDatabase: pg.adminDatabase,
        connectTimeoutMs: args.connectTimeoutMs,
      };
      for (const { service, database } of pg.databases) {
        const creds = credentialsOf(service);
        const db = new PostgresRoleDatabase(`${service}-postgres`, { ...admin, role: creds.username, password: creds.password, database }, { parent: this });
        this.postgresDatabases[service] = db;
        needs(service, db);
      }
      const shared = pg.sharedDatabase;
      for (const service of shared?.services ?? []) {
        const creds = credentialsOf(service);
        const role = new PostgresSchemaRole(`${service}-postgres-schema`, { ...admin, database: shared!.name, group: shared!.group, role: creds.username, password: creds.password }, { parent: this });
        this.postgresSchemaRoles[service] = role;
        needs(service, role);
      }
      const gateway = pg.gateway && this.postgresDatabases[pg.gateway.service];
      if (gateway) this.outputs.postgres = { host: pg.host, port: pg.port, database: gateway.database, role: gateway.role };
      else if (shared) this.outputs.postgres = { host: pg.host, port: pg.port, database: pulumi.output(shared.name) };
    }

    const mongo = args.mongo;
    if (mongo) {
      const admin = {
        host: mongo.host,
        port: mongo.port,
        adminUser: mongo.adminUser,
        adminPassword: pulumi.secret(mongo.adminPassword),
        adminDatabase: mongo.adminDatabase,
        connectTimeoutMs: args.connectTimeoutMs,
      };
      for (const { service, database, roles } of mongo.users) {
        const creds = credentialsOf(service);
        const user = new MongoUser(`${service}-mongo-user`, { ...admin, username: creds.username, password: creds.password, database, roles }, { parent: this });
        this.mongoUsers[service] = user;
        needs(service, user);
      }
      this.outputs.mongo = { uri: `mongodb://${mongo.host.includes(":") ? `[${mongo.host}]` : mongo.host}:${mongo.port}` };
    }
    this.registerOutputs(this.outputs);
  }
}
