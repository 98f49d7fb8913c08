// Dynamic resource: the KV v2 mount that holds the services' secrets. An existing KV v2 mount at the path is
// adopted (and left in place by destroy); any other engine mounted there is an error.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export interface SecretStoreKvMountInputs extends SecretStoreAdminArgs {
  mount: pulumi.Input<string>;
}

export class SecretStoreKvMount extends ThinResource {
  declare readonly mount: pulumi.Output<string>;

  constructor(name: string, args: SecretStoreKvMountInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("secret-store/kv-mount"), name, { ...args, adopted: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "SecretStoreKvMount");
  }
}
