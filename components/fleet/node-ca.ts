// Dynamic resource (node stack): one generation of the node CA in use, its certificate signed by the org root
// (read back from the org stack or from the carried file) joined to the key the node made. Checked before use: a
// CA certificate, for this key, signed by one of the org's roots.
import * as pulumi from "@pulumi/pulumi";

export interface NodeCaInputs {
  node: pulumi.Input<string>;
  generation: pulumi.Input<number>;
  certPem: pulumi.Input<string>;
  /** A secret: the key from the node's NodeCaRequest. */
  keyPem: pulumi.Input<string>;
  /** The org's trusted roots (PEM, one or more). */
  rootsPem: pulumi.Input<string>;
}

interface Inputs {
  node: string;
  generation: number;
  certPem: string;
  keyPem: string;
  rootsPem: string;
}

// The key follows the certificate (checked to match), so the certificate and roots decide.
const REPLACE_ON = ["node", "generation", "certPem", "rootsPem"] as const;

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Inputs, news: Inputs) {
    const fleet: typeof import("@edge-security/clients/fleet-ca") = require("@edge-security/clients/fleet-ca");
    const failures = [];
    // In a preview the key of a request made in the same run is unknown (a placeholder, not a PEM): create checks it.
    const known = (v: unknown): v is string => typeof v === "string" && v.includes("-----BEGIN");
    if (known(news.certPem) && typeof news.rootsPem === "string") {
      const problem = fleet.signedNodeCaProblem(news.certPem, known(news.keyPem) ? news.keyPem : undefined, news.rootsPem);
      if (problem) failures.push({ property: "certPem", reason: `node CA generation ${news.generation}: the signed certificate ${problem}` });
    }
    return { inputs: news, failures };
  },

  async create(inputs: Inputs) {
    const fleet: typeof import("@edge-security/clients/fleet-ca") = require("@edge-security/clients/fleet-ca");
    const pki: typeof import("@edge-security/clients/pki") = require("@edge-security/clients/pki");
    const errors: typeof import("@edge-security/clients/errors") = require("@edge-security/clients/errors");
    const problem = fleet.signedNodeCaProblem(inputs.certPem, inputs.keyPem, inputs.rootsPem);
    if (problem) throw new errors.EdgeError(`node CA generation ${inputs.generation}: the signed certificate ${problem}`);
    const facts = pki.certificateFacts(inputs.certPem);
    const { keyPem, ...rest } = inputs;
    return { id: facts.fingerprint, outs: { ...rest, keyPem, ...facts } };
  },

  async diff(_id: string, olds: Inputs, news: Inputs) {
    const replaces = REPLACE_ON.filter((k) => (olds[k] ?? "") !== (news[k] ?? ""));
    return { changes: replaces.length > 0, replaces };
  },
};

export class NodeCa extends pulumi.dynamic.Resource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: NodeCaInputs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { serialNumber: undefined, fingerprint: undefined, notAfter: undefined };
    super(provider, name, { ...args, ...outputs }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }), "edge-security", "NodeCa");
  }
}
