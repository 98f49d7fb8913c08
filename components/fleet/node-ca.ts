// Dynamic resource (node stack): one generation of the node CA in use, its certificate signed by the org root
// (read back from the org stack or from the carried file) joined to the key the node made. Checked before use: a
// CA certificate, for this key, signed by one of the org's roots.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface NodeCaInputs {
  node: pulumi.Input<string>;
  generation: pulumi.Input<number>;
  certPem: pulumi.Input<string>;
  /** A secret: the key from the node's NodeCaRequest. */
  keyPem: pulumi.Input<string>;
  /** The org's trusted roots (PEM, one or more). */
  rootsPem: pulumi.Input<string>;
}

export class NodeCa extends ThinResource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: NodeCaInputs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { serialNumber: undefined, fingerprint: undefined, notAfter: undefined };
    super(thinProvider("fleet/node-ca"), name, { ...args, ...outputs }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }), "edge-security", "NodeCa");
  }
}
