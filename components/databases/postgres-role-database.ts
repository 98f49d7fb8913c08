// Dynamic resource: a service's PostgreSQL role (LOGIN, not superuser, its password) and the database it owns.
// `read` and `diff` look at the server: a role dropped, its password or attributes changed, the database dropped
// or given away out of band is reported as `live` and repaired by the next `up`. The passwords (the role's and
// the admin's) are secrets in the state and never logged.
import * as pulumi from "@pulumi/pulumi";

export interface PostgresRoleDatabaseInputs {
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  adminUser: pulumi.Input<string>;
  /** A secret; absent for trust or peer authentication. */
  adminPassword?: pulumi.Input<string>;
  adminDatabase: pulumi.Input<string>;
  connectTimeoutMs: pulumi.Input<number>;
  role: pulumi.Input<string>;
  /** A secret. */
  password: pulumi.Input<string>;
  database: pulumi.Input<string>;
}

interface Inputs {
  host: string;
  port: number;
  adminUser: string;
  adminPassword?: string;
  adminDatabase: string;
  connectTimeoutMs: number;
  role: string;
  password: string;
  database: string;
}

interface Outputs extends Inputs {
  /** "intact", or what `read` found changed on the server (see RoleDatabaseState). */
  live: string;
}

// Another server, role or database is another object: the old one is dropped first (same names may recur).
const REPLACE_ON = ["host", "port", "role", "database"] as const;
const UPDATE_ON = ["password", "adminUser", "adminPassword", "adminDatabase", "connectTimeoutMs"] as const;

function server(p: Inputs): import("@edge-security/clients/postgres").PostgresServer {
  return { host: p.host, port: p.port, adminUser: p.adminUser, adminPassword: p.adminPassword, adminDatabase: p.adminDatabase, connectTimeoutMs: p.connectTimeoutMs };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Inputs, news: Inputs) {
    const ids: typeof import("@edge-security/clients/db-identifiers") = require("@edge-security/clients/db-identifiers");
    const failures = [];
    for (const key of ["role", "database", "adminUser", "adminDatabase"] as const) {
      const problem = ids.identifierProblem(news[key]);
      if (problem) failures.push({ property: key, reason: problem });
    }
    if (!Number.isInteger(news.port) || news.port < 1 || news.port > 65535) failures.push({ property: "port", reason: "must be a port number (1-65535)" });
    if (typeof news.password !== "string" || news.password.length === 0) failures.push({ property: "password", reason: "must be a non-empty string" });
    return { inputs: news, failures };
  },

  async create(inputs: Inputs) {
    const pg: typeof import("@edge-security/clients/postgres") = require("@edge-security/clients/postgres");
    await pg.ensureRoleAndDatabase(server(inputs), inputs);
    const outs: Outputs = { ...inputs, live: "intact" };
    return { id: `${inputs.host}:${inputs.port}/${inputs.database}`, outs };
  },

  async read(id: string, props: Outputs) {
    const pg: typeof import("@edge-security/clients/postgres") = require("@edge-security/clients/postgres");
    return { id, props: { ...props, live: await pg.inspectRoleAndDatabase(server(props), props) } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const pg: typeof import("@edge-security/clients/postgres") = require("@edge-security/clients/postgres");
    const replaces: string[] = REPLACE_ON.filter((k) => olds[k] !== news[k]);
    const updates: string[] = UPDATE_ON.filter((k) => (olds[k] ?? null) !== (news[k] ?? null));
    // Same server and names: what is live there decides whether `up` has something to repair.
    if (replaces.length === 0 && updates.length === 0 && (await pg.inspectRoleAndDatabase(server(news), olds)) !== "intact") updates.push("live");
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
  },

  async update(_id: string, _olds: Outputs, news: Inputs) {
    const pg: typeof import("@edge-security/clients/postgres") = require("@edge-security/clients/postgres");
    // The role and database are this resource's: put back what was changed out of band.
    await pg.ensureRoleAndDatabase(server(news), news, { repair: true });
    const outs: Outputs = { ...news, live: "intact" };
    return { outs };
  },

  async delete(_id: string, props: Outputs) {
    const pg: typeof import("@edge-security/clients/postgres") = require("@edge-security/clients/postgres");
    await pg.dropRoleAndDatabase(server(props), props);
  },
};

export class PostgresRoleDatabase extends pulumi.dynamic.Resource {
  declare readonly host: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number>;
  declare readonly role: pulumi.Output<string>;
  declare readonly database: pulumi.Output<string>;
  declare readonly live: pulumi.Output<string>;

  constructor(name: string, args: PostgresRoleDatabaseInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password", "adminPassword"], deleteBeforeReplace: true }), "edge-security", "PostgresRoleDatabase");
  }
}
