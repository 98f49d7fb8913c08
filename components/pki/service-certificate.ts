// Dynamic resource: one service's key and certificate, written to the service's folder. The private key is
// generated here and lives only in that folder: it is never an output, so it never reaches the state.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface ServiceCertificateInputs {
  service: pulumi.Input<string>;
  dir: pulumi.Input<string>;
  dnsNames: pulumi.Input<pulumi.Input<string>[]>;
  ipAddresses: pulumi.Input<pulumi.Input<string>[]>;
  keyType: pulumi.Input<string>;
  lifetimeDays: pulumi.Input<number>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
  caCertPem: pulumi.Input<string>;
  /** A secret: encrypted in the state's inputs, never echoed in the outputs. */
  caKeyPem: pulumi.Input<string>;
  /** What the service trusts; unset: the CA certificate alone (the usual case, kept out of the state once more). */
  trustBundlePem?: pulumi.Input<string | undefined>;
  /** Rotation generation: a change makes a new key and certificate (docs/rotation.md). Unset: 0. */
  rotation?: pulumi.Input<number>;
  /** Renewal window: days before expiry from which `up` renews; unset: a third of the lifetime, 0: off. */
  renewBeforeDays?: pulumi.Input<number>;
}

/** The trust bundle of a CA certificate alone, as CertificateAuthority writes it (what an unset bundle means). */
export function bundleOfCaAlone(caCertPem: string): string {
  return `${caCertPem.trim()}\n`;
}

export class ServiceCertificate extends ThinResource {
  declare readonly dir: pulumi.Output<string>;
  declare readonly certPath: pulumi.Output<string>;
  declare readonly keyPath: pulumi.Output<string>;
  declare readonly caCertPath: pulumi.Output<string>;
  declare readonly certPem: pulumi.Output<string>;
  declare readonly serialNumber: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: ServiceCertificateInputs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { certPath: undefined, keyPath: undefined, caCertPath: undefined, certPem: undefined, serialNumber: undefined, fingerprint: undefined, keyFingerprint: undefined, notAfter: undefined, files: undefined };
    // Same folder for old and new: always delete before replacing, also on `up --replace`.
    super(thinProvider("pki/service-certificate"), name, { ...args, ...outputs }, pulumi.mergeOptions(opts, { deleteBeforeReplace: true }), "edge-security", "ServiceCertificate");
  }
}
