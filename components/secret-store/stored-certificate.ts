// Dynamic resource: a service's certificate and private key stored in the secret store (the gateway's, for the
// gateway to apply). The key is read from the service's folder when written; it is never an output.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export interface SecretStoreCertificateInputs extends SecretStoreAdminArgs {
  mount: pulumi.Input<string>;
  path: pulumi.Input<string>;
  certPem: pulumi.Input<string>;
  keyPath: pulumi.Input<string>;
}

export class SecretStoreCertificate extends ThinResource {
  declare readonly path: pulumi.Output<string>;
  declare readonly certPem: pulumi.Output<string>;

  constructor(name: string, args: SecretStoreCertificateInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("secret-store/stored-certificate"), name, { ...args, inStore: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "SecretStoreCertificate");
  }
}
