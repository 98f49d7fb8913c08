// Dynamic resource: the secret store unsealed. A store that restarted comes back sealed: `refresh` and
// `preview` see it (sealed: true) and `up` unseals it with the threshold of keys, changing nothing else.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export type SecretStoreUnsealInputs = SecretStoreAdminArgs;

export class SecretStoreUnseal extends ThinResource {
  declare readonly address: pulumi.Output<string>;
  declare readonly sealed: pulumi.Output<boolean>;

  constructor(name: string, args: SecretStoreUnsealInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("secret-store/unseal"), name, { ...args, sealed: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "SecretStoreUnseal");
  }
}
