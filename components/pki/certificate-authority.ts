// Dynamic resource: the node's CA. Self-signed (generated here) or imported (validated by the program and
// passed in). The CA key is a secret output, so it is encrypted in the state; nothing else holds it.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

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

export class CertificateAuthority extends ThinResource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly trustBundlePem: pulumi.Output<string>;
  declare readonly serialNumber: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: CertificateAuthorityInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("pki/certificate-authority"),
      name,
      { ...args, certPem: undefined, keyPem: undefined, trustBundlePem: undefined, serialNumber: undefined, fingerprint: undefined, notAfter: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }),
      "edge-security",
      "CertificateAuthority",
    );
  }
}
