// Dynamic resource (node stack): one generation of the node CA's key and its certificate request. The key is made
// here and is a secret output (encrypted in the node stack's state); the request (public) goes to the org stack,
// as a stack output (connected) or a file the operator carries (air-gapped).
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface NodeCaRequestInputs {
  node: pulumi.Input<string>;
  generation: pulumi.Input<number>;
  commonName: pulumi.Input<string>;
  keyType: pulumi.Input<string>;
}

export class NodeCaRequest extends ThinResource {
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly csrPem: pulumi.Output<string>;
  declare readonly publicKeyFingerprint: pulumi.Output<string>;

  constructor(name: string, args: NodeCaRequestInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("fleet/node-ca-request"), name, { ...args, keyPem: undefined, csrPem: undefined, publicKeyFingerprint: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }), "edge-security", "NodeCaRequest");
  }
}
