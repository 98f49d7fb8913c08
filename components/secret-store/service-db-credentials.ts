// Dynamic resource: one service's database credentials, kept in the secret store under the service's own KV
// path: a username from the config and a generated password of 32 random bytes. Generated once and kept across
// runs; an entry lost from the store is written again with the same values. A new rotation generation makes a
// new password in place (docs/rotation.md); `up --replace` does too (the old entry is deleted first, so the new
// one cannot adopt it). Outputs are Pulumi secrets.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export interface ServiceDbCredentialsInputs extends SecretStoreAdminArgs {
  mount: pulumi.Input<string>;
  /** Inside the mount, e.g. edgex/core-data/db */
  path: pulumi.Input<string>;
  username: pulumi.Input<string>;
  /** Rotation generation: a change makes a new password in place (docs/rotation.md). Unset: 0. */
  rotation?: pulumi.Input<number>;
}

export class ServiceDbCredentials extends ThinResource {
  declare readonly username: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;
  declare readonly path: pulumi.Output<string>;

  constructor(name: string, args: ServiceDbCredentialsInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("secret-store/service-db-credentials"),
      name,
      { ...args, password: undefined, inStore: undefined },
      // Replacing means a new password: the old entry goes first so that create does not adopt it.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "password"], deleteBeforeReplace: true }),
      "edge-security",
      "ServiceDbCredentials",
    );
  }
}
