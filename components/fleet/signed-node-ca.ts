// Dynamic resource (org stack): a node's CA request signed by the org root, with the names the org allows that
// node. The request carries only the node's public key: the node CA's private key never leaves the node stack.
import * as pulumi from "@pulumi/pulumi";

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

interface Inputs {
  node: string;
  generation: number;
  csrPem: string;
  rootGeneration: number;
  issuerCertPem: string;
  issuerKeyPem: string;
  lifetimeDays: number;
  permittedDns: string[];
  permittedIps: string[];
}

// The issuer's key follows its certificate: comparing the certificate is enough, and keeps the key out of diffs.
const REPLACE_ON = ["node", "generation", "csrPem", "rootGeneration", "issuerCertPem", "lifetimeDays", "permittedDns", "permittedIps"] as const;

/** The engine's placeholder for a value not known yet (pulumi/runtime/rpc's unknownValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Inputs, news: Inputs) {
    const fleet: typeof import("@edge-security/clients/fleet-ca") = require("@edge-security/clients/fleet-ca");
    const failures = [];
    // A request made in the same run is unknown in a preview (a placeholder): create checks it.
    if (typeof news.csrPem === "string" && news.csrPem !== UNKNOWN) {
      try {
        await fleet.readCaRequest(news.csrPem);
      } catch (err) {
        failures.push({ property: "csrPem", reason: `node ${news.node}, generation ${news.generation}: ${(err as Error).message}` });
      }
    }
    if (!Number.isInteger(news.lifetimeDays) || news.lifetimeDays <= 0) failures.push({ property: "lifetimeDays", reason: "must be a positive whole number of days" });
    return { inputs: news, failures };
  },

  async create(inputs: Inputs) {
    const fleet: typeof import("@edge-security/clients/fleet-ca") = require("@edge-security/clients/fleet-ca");
    const signed = await fleet.signNodeCa({
      csrPem: inputs.csrPem,
      issuerCertPem: inputs.issuerCertPem,
      issuerKeyPem: inputs.issuerKeyPem,
      lifetimeDays: inputs.lifetimeDays,
      nameConstraints: { dns: inputs.permittedDns, ips: inputs.permittedIps },
    });
    const { issuerKeyPem: _secret, ...rest } = inputs;
    return { id: signed.fingerprint, outs: { ...rest, ...signed } };
  },

  async diff(_id: string, olds: Inputs, news: Inputs) {
    const replaces = REPLACE_ON.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes: replaces.length > 0, replaces };
  },
};

export class SignedNodeCa extends pulumi.dynamic.Resource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: SignedNodeCaInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, certPem: undefined, serialNumber: undefined, fingerprint: undefined, notAfter: undefined }, opts, "edge-security", "SignedNodeCa");
  }
}
