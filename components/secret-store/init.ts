// Dynamic resource: the secret store's initialization and the custody of its init response.
// create: initializes a new store and persists the response (unseal keys, initial root token) encrypted and
// fsynced BEFORE anything else; then unseals and revokes the initial root token. An already-initialized store
// is adopted only when this stack's custody file holds its keys; otherwise create fails and changes nothing.
// The store is never initialized over existing data, and destroy never deletes the custody file. A store that
// answers "not initialized" while the stack holds keys for it is refused unless `reinitialize` is set: its data
// may only be missing for now (a volume not mounted at boot), and new keys would brick it when it comes back.
// Custody files are never overwritten with other keys: the old one is kept aside, dated.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface SecretStoreInitInputs {
  address: pulumi.Input<string>;
  caPem: pulumi.Input<string>;
  connectTimeoutSeconds: pulumi.Input<number>;
  shares: pulumi.Input<number>;
  threshold: pulumi.Input<number>;
  custodyFile: pulumi.Input<string>;
  /** A secret: the custody file's encryption secret. */
  custodySecret: pulumi.Input<string>;
  /** Start over with a new store when the one the stack knows answers "not initialized" (explicit, one run). */
  reinitialize?: pulumi.Input<boolean>;
}

export class SecretStoreInit extends ThinResource {
  declare readonly unsealKeys: pulumi.Output<string[]>;
  declare readonly address: pulumi.Output<string>;

  constructor(name: string, args: SecretStoreInitInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("secret-store/init"),
      name,
      { ...args, unsealKeys: undefined, initialized: undefined, custody: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "custodySecret"] }),
      "edge-security",
      "SecretStoreInit",
    );
  }
}
