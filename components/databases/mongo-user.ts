// Dynamic resource: a service's MongoDB user (its password, its roles), over the official driver.
// `read` and `diff` look at the server: a user dropped, its password no longer accepted or its roles changed out
// of band is reported as `live`, and the next `up` re-creates it. A new password re-creates the user (drop, then
// create). Real MongoDB gets the roles; FerretDB v1 gets none (it refuses them): `rolesSent` records what was sent.
// The passwords (the user's and the admin's) are secrets in the state and never logged.
import * as pulumi from "@pulumi/pulumi";

export interface MongoUserInputs {
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  adminUser: pulumi.Input<string>;
  /** A secret. */
  adminPassword: pulumi.Input<string>;
  adminDatabase: pulumi.Input<string>;
  connectTimeoutMs: pulumi.Input<number>;
  username: pulumi.Input<string>;
  /** A secret. */
  password: pulumi.Input<string>;
  database: pulumi.Input<string>;
  roles: pulumi.Input<pulumi.Input<{ role: pulumi.Input<string>; db: pulumi.Input<string> }>[]>;
}

interface Inputs {
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
  adminDatabase: string;
  connectTimeoutMs: number;
  username: string;
  password: string;
  database: string;
  roles: { role: string; db: string }[];
}

interface Outputs extends Inputs {
  serverKind: string;
  rolesSent: { role: string; db: string }[];
  /** "intact", or what `read` found changed on the server (see MongoUserState). */
  live: string;
}

const REPLACE_ON = ["host", "port", "username", "database", "password", "roles"] as const;
const UPDATE_ON = ["adminUser", "adminPassword", "adminDatabase", "connectTimeoutMs"] as const;

function server(p: Inputs): import("@edge-security/clients/mongo").MongoServer {
  return { host: p.host, port: p.port, adminUser: p.adminUser, adminPassword: p.adminPassword, adminDatabase: p.adminDatabase, connectTimeoutMs: p.connectTimeoutMs };
}

async function ensure(inputs: Inputs): Promise<Outputs> {
  const mongo: typeof import("@edge-security/clients/mongo") = require("@edge-security/clients/mongo");
  const { serverKind, rolesSent } = await mongo.ensureUser(server(inputs), inputs);
  return { ...inputs, serverKind, rolesSent, live: "intact" };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Inputs, news: Inputs) {
    const ids: typeof import("@edge-security/clients/db-identifiers") = require("@edge-security/clients/db-identifiers");
    const failures = [];
    for (const key of ["username", "adminUser"] as const) {
      const problem = ids.identifierProblem(news[key]);
      if (problem) failures.push({ property: key, reason: problem });
    }
    for (const key of ["database", "adminDatabase"] as const) {
      const problem = ids.mongoDatabaseProblem(news[key]);
      if (problem) failures.push({ property: key, reason: problem });
    }
    if (!Number.isInteger(news.port) || news.port < 1 || news.port > 65535) failures.push({ property: "port", reason: "must be a port number (1-65535)" });
    if (typeof news.password !== "string" || news.password.length === 0) failures.push({ property: "password", reason: "must be a non-empty string" });
    if (!Array.isArray(news.roles) || news.roles.some((r) => !r || typeof r.role !== "string" || !r.role || ids.mongoDatabaseProblem(r.db))) {
      failures.push({ property: "roles", reason: "must be a list of { role, db } with valid names" });
    }
    return { inputs: news, failures };
  },

  async create(inputs: Inputs) {
    return { id: `${inputs.host}:${inputs.port}/${inputs.database}.${inputs.username}`, outs: await ensure(inputs) };
  },

  async read(id: string, props: Outputs) {
    const mongo: typeof import("@edge-security/clients/mongo") = require("@edge-security/clients/mongo");
    return { id, props: { ...props, live: await mongo.inspectUser(server(props), props) } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const mongo: typeof import("@edge-security/clients/mongo") = require("@edge-security/clients/mongo");
    const replaces: string[] = REPLACE_ON.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    const updates: string[] = UPDATE_ON.filter((k) => olds[k] !== news[k]);
    // Same server, user and password: what is live there decides whether `up` has something to re-create.
    if (replaces.length === 0 && (await mongo.inspectUser(server(news), olds)) !== "intact") replaces.push("live");
    // Same user name on the same server: the old user goes before the new one is created.
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
  },

  async update(_id: string, _olds: Outputs, news: Inputs) {
    return { outs: await ensure(news) };
  },

  async delete(_id: string, props: Outputs) {
    const mongo: typeof import("@edge-security/clients/mongo") = require("@edge-security/clients/mongo");
    await mongo.dropUser(server(props), props);
  },
};

export class MongoUser extends pulumi.dynamic.Resource {
  declare readonly username: pulumi.Output<string>;
  declare readonly database: pulumi.Output<string>;
  declare readonly serverKind: pulumi.Output<string>;
  declare readonly rolesSent: pulumi.Output<{ role: string; db: string }[]>;
  declare readonly live: pulumi.Output<string>;

  constructor(name: string, args: MongoUserInputs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { serverKind: undefined, rolesSent: undefined, live: undefined };
    super(provider, name, { ...args, ...outputs }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password", "adminPassword"], deleteBeforeReplace: true }), "edge-security", "MongoUser");
  }
}
