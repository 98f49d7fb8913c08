// Dynamic resource (node stack): one generation of the node CA's key and its certificate request. The key is made
// here and is a secret output (encrypted in the node stack's state); the request (public) goes to the org stack,
// as a stack output (connected) or a file the operator carries (air-gapped).
import * as pulumi from "@pulumi/pulumi";

export interface NodeCaRequestInputs {
  node: pulumi.Input<string>;
  generation: pulumi.Input<number>;
  commonName: pulumi.Input<string>;
  keyType: pulumi.Input<string>;
}

interface State {
  node: string;
  generation: number;
  commonName: string;
  keyType: string;
}

const REPLACE_ON = ["node", "generation", "commonName", "keyType"] as const;

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: State, news: State) {
    const { KEY_TYPES }: typeof import("@edge-security/clients/pki") = require("@edge-security/clients/pki");
    const failures = [];
    if (!KEY_TYPES.includes(news.keyType as never)) failures.push({ property: "keyType", reason: `must be one of ${KEY_TYPES.join(", ")}` });
    return { inputs: news, failures };
  },

  async create(inputs: State) {
    const fleet: typeof import("@edge-security/clients/fleet-ca") = require("@edge-security/clients/fleet-ca");
    const request = await fleet.createCaRequest({ commonName: inputs.commonName, keyType: inputs.keyType as never });
    return { id: request.publicKeyFingerprint, outs: { ...inputs, ...request } };
  },

  async diff(_id: string, olds: State, news: State) {
    const replaces = REPLACE_ON.filter((k) => (olds[k] ?? "") !== (news[k] ?? ""));
    return { changes: replaces.length > 0, replaces };
  },
};

export class NodeCaRequest extends pulumi.dynamic.Resource {
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly csrPem: pulumi.Output<string>;
  declare readonly publicKeyFingerprint: pulumi.Output<string>;

  constructor(name: string, args: NodeCaRequestInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, keyPem: undefined, csrPem: undefined, publicKeyFingerprint: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }), "edge-security", "NodeCaRequest");
  }
}
