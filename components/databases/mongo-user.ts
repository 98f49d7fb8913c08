// Dynamic resource: a service's MongoDB user (its password, its roles), over the official driver.
// `read` and `diff` look at the server: a user dropped, its password no longer accepted or its roles changed out
// of band is reported as `live`, and the next `up` re-creates it. A new password re-creates the user (drop, then
// create). Real MongoDB gets the roles; FerretDB v1 gets none (it refuses them): `rolesSent` records what was sent.
// The passwords (the user's and the admin's) are secrets in the state and never logged.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

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

export class MongoUser extends ThinResource {
  declare readonly username: pulumi.Output<string>;
  declare readonly database: pulumi.Output<string>;
  declare readonly serverKind: pulumi.Output<string>;
  declare readonly rolesSent: pulumi.Output<{ role: string; db: string }[]>;
  declare readonly live: pulumi.Output<string>;

  constructor(name: string, args: MongoUserInputs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { serverKind: undefined, rolesSent: undefined, live: undefined };
    super(thinProvider("databases/mongo-user"), name, { ...args, ...outputs }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password", "adminPassword"], deleteBeforeReplace: true }), "edge-security", "MongoUser");
  }
}
