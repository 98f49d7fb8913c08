// PostgresRoleDatabase's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as ids from "./db-identifiers";
import * as pg from "./postgres";
import type { PostgresRoleDatabaseInputs } from "./postgres-role-database";

type Inputs = pulumi.Unwrap<PostgresRoleDatabaseInputs>;

interface Outputs extends Inputs {
  /** "intact", or what `read` found changed on the server (see RoleDatabaseState). */
  live: string;
}

// Another server, role or database is another object: the old one is dropped first (same names may recur).
const REPLACE_ON = ["host", "port", "role", "database"] as const;
const UPDATE_ON = ["password", "adminUser", "adminPassword", "adminDatabase", "connectTimeoutMs"] as const;

const server = (p: Inputs) => pg.serverOf(p);

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    for (const key of ["role", "database", "adminUser", "adminDatabase"] as const) {
      const problem = ids.identifierProblem(news[key]);
      if (problem) failures.push({ property: key, reason: problem });
    }
    if (!Number.isInteger(news.port) || news.port < 1 || news.port > 65535) failures.push({ property: "port", reason: "must be a port number (1-65535)" });
    if (typeof news.password !== "string" || news.password.length === 0) failures.push({ property: "password", reason: "must be a non-empty string" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    await pg.ensureRoleAndDatabase(server(inputs), inputs);
    const outs: Outputs = { ...inputs, live: "intact" };
    return { id: `${inputs.host}:${inputs.port}/${inputs.database}`, outs };
  },

  async read(id, props) {
    return { id, props: { ...props, live: await pg.inspectRoleAndDatabase(server(props), props) } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, REPLACE_ON);
    const updates: string[] = changedKeys(olds, news, UPDATE_ON);
    // Same server and names: what is live there decides whether `up` has something to repair.
    if (replaces.length === 0 && updates.length === 0 && (await pg.inspectRoleAndDatabase(server(news), olds)) !== "intact") updates.push("live");
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
  },

  async update(_id, _olds, news) {
    // The role and database are this resource's: put back what was changed out of band.
    await pg.ensureRoleAndDatabase(server(news), news, { repair: true });
    const outs: Outputs = { ...news, live: "intact" };
    return { outs };
  },

  async delete(_id, props) {
    await pg.dropRoleAndDatabase(server(props), props);
  },
});
