// Dynamic resource: one generation of the organisation's root CA. Made here, in the org stack; its key is a secret
// output (encrypted in the org stack's state) and goes nowhere else: node stacks get certificates, never the key.
import * as pulumi from "@pulumi/pulumi";

export interface OrgRootCaInputs {
  generation: pulumi.Input<number>;
  commonName: pulumi.Input<string>;
  keyType: pulumi.Input<string>;
  lifetimeDays: pulumi.Input<number>;
}

interface State {
  generation: number;
  commonName: string;
  keyType: string;
  lifetimeDays: number;
}

// Every input is part of the certificate: a change is a new root (a new generation is the way to rotate it).
const REPLACE_ON = ["generation", "commonName", "keyType", "lifetimeDays"] as const;

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: State, news: State) {
    const { KEY_TYPES }: typeof import("@edge-security/clients/pki") = require("@edge-security/clients/pki");
    const failures = [];
    if (!KEY_TYPES.includes(news.keyType as never)) failures.push({ property: "keyType", reason: `must be one of ${KEY_TYPES.join(", ")}` });
    if (!Number.isInteger(news.lifetimeDays) || news.lifetimeDays <= 0) failures.push({ property: "lifetimeDays", reason: "must be a positive whole number of days" });
    return { inputs: news, failures };
  },

  async create(inputs: State) {
    const pki: typeof import("@edge-security/clients/pki") = require("@edge-security/clients/pki");
    // pathLength 1: the root signs node CAs, which sign service certificates and nothing below.
    const ca = await pki.createSelfSignedCa({ commonName: inputs.commonName, keyType: inputs.keyType as never, lifetimeDays: inputs.lifetimeDays, pathLength: 1 });
    const facts = pki.certificateFacts(ca.certPem);
    return { id: facts.fingerprint, outs: { ...inputs, certPem: ca.certPem, keyPem: ca.keyPem, ...facts } };
  },

  async diff(_id: string, olds: State, news: State) {
    const replaces = REPLACE_ON.filter((k) => (olds[k] ?? "") !== (news[k] ?? ""));
    return { changes: replaces.length > 0, replaces };
  },
};

export class OrgRootCa extends pulumi.dynamic.Resource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: OrgRootCaInputs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { certPem: undefined, keyPem: undefined, serialNumber: undefined, fingerprint: undefined, notAfter: undefined };
    super(provider, name, { ...args, ...outputs }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }), "edge-security", "OrgRootCa");
  }
}
