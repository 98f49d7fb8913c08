// MongoUser's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as ids from "./db-identifiers";
import * as mongo from "./mongo";
import type { MongoUserInputs } from "./mongo-user";

type Inputs = pulumi.Unwrap<MongoUserInputs>;

interface Outputs extends Inputs {
  serverKind: string;
  rolesSent: { role: string; db: string }[];
  /** "intact", or what `read` found changed on the server (see MongoUserState). */
  live: string;
}

const REPLACE_ON = ["host", "port", "username", "database", "password", "roles"] as const;
const UPDATE_ON = ["adminUser", "adminPassword", "adminDatabase", "connectTimeoutMs"] as const;

function server(p: Inputs): import("./mongo").MongoServer {
  return { host: p.host, port: p.port, adminUser: p.adminUser, adminPassword: p.adminPassword, adminDatabase: p.adminDatabase, connectTimeoutMs: p.connectTimeoutMs };
}

async function ensure(inputs: Inputs): Promise<Outputs> {
  const { serverKind, rolesSent } = await mongo.ensureUser(server(inputs), inputs);
  return { ...inputs, serverKind, rolesSent, live: "intact" };
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
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

  async create(inputs) {
    return { id: `${inputs.host}:${inputs.port}/${inputs.database}.${inputs.username}`, outs: await ensure(inputs) };
  },

  async read(id, props) {
    return { id, props: { ...props, live: await mongo.inspectUser(server(props), props) } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, REPLACE_ON);
    const updates: string[] = changedKeys(olds, news, UPDATE_ON);
    // Same server, user and password: what is live there decides whether `up` has something to re-create.
    if (replaces.length === 0 && (await mongo.inspectUser(server(news), olds)) !== "intact") replaces.push("live");
    // Same user name on the same server: the old user goes before the new one is created.
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
  },

  async update(_id, _olds, news) {
    return { outs: await ensure(news) };
  },

  async delete(_id, props) {
    await mongo.dropUser(server(props), props);
  },
});
