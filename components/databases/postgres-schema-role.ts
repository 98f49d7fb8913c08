// Dynamic resource: a login role in a shared PostgreSQL database, with a schema of its name. The shared database
// (created if missing) and a group role with CONNECT and CREATE on it are made along the way and shared by every
// role of the database; the role (LOGIN, not superuser, its password) joins the group and gets ALL on its schema.
// `read` and `diff` look at the server: a role, group, grant, schema or the database dropped or changed out of band
// is reported as `live` and repaired by the next `up`. The passwords (the role's and the admin's) are secrets in
// the state and never logged. `destroy` drops the schema with its tables and the role; the database and the group
// stay (they are shared).
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { PostgresAdminInputs } from "./postgres-role-database";

export interface PostgresSchemaRoleInputs extends PostgresAdminInputs {
  /** The shared database. */
  database: pulumi.Input<string>;
  /** The group role (CONNECT, CREATE on the database) the role joins. */
  group: pulumi.Input<string>;
  /** The login role; its schema has the same name. */
  role: pulumi.Input<string>;
  /** A secret. */
  password: pulumi.Input<string>;
}

export class PostgresSchemaRole extends ThinResource {
  declare readonly host: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number>;
  declare readonly database: pulumi.Output<string>;
  declare readonly group: pulumi.Output<string>;
  declare readonly role: pulumi.Output<string>;
  declare readonly live: pulumi.Output<string>;

  constructor(name: string, args: PostgresSchemaRoleInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("databases/postgres-schema-role"), name, { ...args, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password", "adminPassword"], deleteBeforeReplace: true }), "edge-security", "PostgresSchemaRole");
  }
}
