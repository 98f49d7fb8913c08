// Dynamic resource (org stack): a node's CA request signed by the org root, with the names the org allows that
// node. The request carries only the node's public key: the node CA's private key never leaves the node stack.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface SignedNodeCaInputs {
  node: pulumi.Input<string>;
  generation: pulumi.Input<number>;
  csrPem: pulumi.Input<string>;
  rootGeneration: pulumi.Input<number>;
  issuerCertPem: pulumi.Input<string>;
  /** A secret: encrypted in the state's inputs, never in the outputs. */
  issuerKeyPem: pulumi.Input<string>;
  lifetimeDays: pulumi.Input<number>;
  permittedDns: pulumi.Input<pulumi.Input<string>[]>;
  permittedIps: pulumi.Input<pulumi.Input<string>[]>;
}

export class SignedNodeCa extends ThinResource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: SignedNodeCaInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("fleet/signed-node-ca"), name, { ...args, certPem: undefined, serialNumber: undefined, fingerprint: undefined, notAfter: undefined }, opts, "edge-security", "SignedNodeCa");
  }
}
