// Dynamic resource: one generation of the organisation's root CA. Made here, in the org stack; its key is a secret
// output (encrypted in the org stack's state) and goes nowhere else: node stacks get certificates, never the key.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface OrgRootCaInputs {
  generation: pulumi.Input<number>;
  commonName: pulumi.Input<string>;
  keyType: pulumi.Input<string>;
  lifetimeDays: pulumi.Input<number>;
}

export class OrgRootCa extends ThinResource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: OrgRootCaInputs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { certPem: undefined, keyPem: undefined, serialNumber: undefined, fingerprint: undefined, notAfter: undefined };
    super(thinProvider("fleet/root-ca"), name, { ...args, ...outputs }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }), "edge-security", "OrgRootCa");
  }
}
