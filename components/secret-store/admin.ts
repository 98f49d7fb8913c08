// The inputs every secret-store resource shares: where the store is, the CA that vouches for it, and (a
// secret) the unseal keys from which each admin step makes its short-lived root token. Types only.
import type * as pulumi from "@pulumi/pulumi";

export interface SecretStoreAdminArgs {
  address: pulumi.Input<string>;
  caPem: pulumi.Input<string>;
  connectTimeoutSeconds: pulumi.Input<number>;
  unsealKeys: pulumi.Input<pulumi.Input<string>[]>;
}

/** The plain shape the providers receive. */
export type SecretStoreAdmin = pulumi.Unwrap<SecretStoreAdminArgs>;
