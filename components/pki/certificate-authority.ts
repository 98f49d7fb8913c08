// Dynamic resource: the node's CA. Self-signed (generated here) or imported (validated by the program and
// passed in). The CA key is a secret output, so it is encrypted in the state; nothing else holds it.
import * as pulumi from "@pulumi/pulumi";

export interface CertificateAuthorityInputs {
  source: pulumi.Input<"self-signed" | "import">;
  commonName: pulumi.Input<string>;
  keyType: pulumi.Input<string>;
  lifetimeDays: pulumi.Input<number>;
  /** Imported CA only: the certificate, its key (a secret) and the issuers above it. */
  importedCertPem?: pulumi.Input<string>;
  importedKeyPem?: pulumi.Input<string>;
  importedChainPem?: pulumi.Input<string>;
}

interface State {
  source: "self-signed" | "import";
  commonName: string;
  keyType: string;
  lifetimeDays: number;
  importedCertPem?: string;
  importedKeyPem?: string;
  importedChainPem?: string;
}

const REPLACE_ON = ["source", "commonName", "keyType", "lifetimeDays", "importedCertPem", "importedChainPem"] as const;

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: State, news: State) {
    const failures = [];
    if (news.source === "import" && !news.importedCertPem) failures.push({ property: "importedCertPem", reason: "an imported CA needs its certificate" });
    if (news.source === "import" && !news.importedKeyPem) failures.push({ property: "importedKeyPem", reason: "an imported CA needs its key" });
    return { inputs: news, failures };
  },

  async create(inputs: State) {
    const pki: typeof import("@edge-security/clients/pki") = require("@edge-security/clients/pki");
    const ca =
      inputs.source === "import"
        ? { certPem: inputs.importedCertPem!, keyPem: inputs.importedKeyPem! }
        : await pki.createSelfSignedCa({ commonName: inputs.commonName, keyType: inputs.keyType as never, lifetimeDays: inputs.lifetimeDays });
    const facts = pki.certificateFacts(ca.certPem);
    // The trust bundle handed to services: the CA and, for an imported intermediate, the issuers above it.
    const trustBundlePem = [ca.certPem.trim(), (inputs.importedChainPem ?? "").trim()].filter(Boolean).join("\n") + "\n";
    // The imported key stays only in the (secret) inputs; the CA key output is marked secret.
    const { importedKeyPem: _secret, ...rest } = inputs;
    return { id: facts.fingerprint, outs: { ...rest, certPem: ca.certPem, keyPem: ca.keyPem, trustBundlePem, ...facts } };
  },

  async diff(_id: string, olds: State, news: State) {
    const replaces = REPLACE_ON.filter((k) => (olds[k] ?? "") !== (news[k] ?? ""));
    return { changes: replaces.length > 0, replaces };
  },
};

export class CertificateAuthority extends pulumi.dynamic.Resource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly trustBundlePem: pulumi.Output<string>;
  declare readonly serialNumber: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: CertificateAuthorityInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, certPem: undefined, keyPem: undefined, trustBundlePem: undefined, serialNumber: undefined, fingerprint: undefined, notAfter: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }),
      "edge-security",
      "CertificateAuthority",
    );
  }
}
