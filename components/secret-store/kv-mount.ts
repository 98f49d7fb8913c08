// Dynamic resource: the KV mount that holds the services' secrets, version 2 unless told 1 (a layout's). An
// existing KV mount of that version at the path is adopted (and left in place by destroy); any other engine or
// KV version mounted there is an error, and so is a change of version of the stack's mount (no silent loss).
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export interface SecretStoreKvMountInputs extends SecretStoreAdminArgs {
  mount: pulumi.Input<string>;
  /** KV version, "1" or "2". Unset: "2" (every state written before versions were a choice). */
  version?: pulumi.Input<"1" | "2">;
}

export class SecretStoreKvMount extends ThinResource {
  declare readonly mount: pulumi.Output<string>;

  constructor(name: string, args: SecretStoreKvMountInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("secret-store/kv-mount"), name, { ...args, adopted: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "SecretStoreKvMount");
  }
}
