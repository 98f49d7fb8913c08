// Dynamic resource: one {username, password} secret kept at one or more paths of the KV mount (e.g. a service's
// database credentials and the copy its database's bootstrapper reads, or one message-bus password shared by every
// bus client). The password (33 random bytes, standard base64) is generated once; an entry already holding the
// username and a password is adopted, never overwritten (as EdgeX's secretstore-setup does). A path lost or
// changed in the store is seen by `refresh` and written again by `up`; a new rotation generation is a new password.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export interface KnownSecretInputs extends SecretStoreAdminArgs {
  mount: pulumi.Input<string>;
  /** The mount's KV version, "1" or "2". */
  kvVersion: pulumi.Input<"1" | "2">;
  /** Inside the mount, e.g. edgex/core-data/postgres. */
  paths: pulumi.Input<pulumi.Input<string>[]>;
  username: pulumi.Input<string>;
  /** More keys of the entry, not secret (e.g. a message bus's `cacert`: the CA that signed the broker's certificate). */
  fields?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  rotation?: pulumi.Input<number>;
}

export class KnownSecret extends ThinResource {
  declare readonly username: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;

  constructor(name: string, args: KnownSecretInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("secret-store/known-secret"),
      name,
      { ...args, password: undefined, live: undefined },
      // Replacing means a new password: the old entries go first so that create does not adopt them.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "password"], deleteBeforeReplace: true }),
      "edge-security",
      "KnownSecret",
    );
  }
}
