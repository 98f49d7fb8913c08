// Dynamic resource: a service's PostgreSQL role (LOGIN, not superuser, its password) and the database it owns.
// `read` and `diff` look at the server: a role dropped, its password or attributes changed, the database dropped
// or given away out of band is reported as `live` and repaired by the next `up`. The passwords (the role's and
// the admin's) are secrets in the state and never logged.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

/** The server and its admin login: the inputs every PostgreSQL resource here starts with. */
export interface PostgresAdminInputs {
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  adminUser: pulumi.Input<string>;
  /** A secret; absent for trust or peer authentication. */
  adminPassword?: pulumi.Input<string>;
  adminDatabase: pulumi.Input<string>;
  connectTimeoutMs: pulumi.Input<number>;
}

export interface PostgresRoleDatabaseInputs extends PostgresAdminInputs {
  role: pulumi.Input<string>;
  /** A secret. */
  password: pulumi.Input<string>;
  database: pulumi.Input<string>;
}

export class PostgresRoleDatabase extends ThinResource {
  declare readonly host: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number>;
  declare readonly role: pulumi.Output<string>;
  declare readonly database: pulumi.Output<string>;
  declare readonly live: pulumi.Output<string>;

  constructor(name: string, args: PostgresRoleDatabaseInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("databases/postgres-role-database"), name, { ...args, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password", "adminPassword"], deleteBeforeReplace: true }), "edge-security", "PostgresRoleDatabase");
  }
}
