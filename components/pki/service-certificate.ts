// Dynamic resource: one service's key and certificate, written to the service's folder. The private key is
// generated here and lives only in that folder: it is never an output, so it never reaches the state.
import * as pulumi from "@pulumi/pulumi";

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
  trustBundlePem: pulumi.Input<string>;
}

interface Inputs {
  service: string;
  dir: string;
  dnsNames: string[];
  ipAddresses: string[];
  keyType: string;
  lifetimeDays: number;
  uid?: number;
  gid?: number;
  caCertPem: string;
  caKeyPem: string;
  trustBundlePem: string;
}

interface Outputs extends Omit<Inputs, "caKeyPem"> {
  certPath: string;
  keyPath: string;
  caCertPath: string;
  certPem: string;
  serialNumber: string;
  fingerprint: string;
  keyFingerprint: string;
  notAfter: string;
  files: string;
}

// Every input changes the certificate or where it lives, so every change is a new key and certificate.
const REPLACE_ON = ["service", "dir", "dnsNames", "ipAddresses", "keyType", "lifetimeDays", "uid", "gid", "caCertPem", "trustBundlePem"] as const;

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Inputs, news: Inputs) {
    const { KEY_TYPES }: typeof import("@edge-security/clients/pki") = require("@edge-security/clients/pki");
    const failures = [];
    if (!KEY_TYPES.includes(news.keyType as never)) failures.push({ property: "keyType", reason: `must be one of ${KEY_TYPES.join(", ")}` });
    if (!Number.isInteger(news.lifetimeDays) || news.lifetimeDays <= 0) failures.push({ property: "lifetimeDays", reason: "must be a positive whole number of days" });
    if (typeof news.dir !== "string" || !news.dir.startsWith("/")) failures.push({ property: "dir", reason: "must be an absolute path" });
    return { inputs: news, failures };
  },

  async create(inputs: Inputs) {
    const pki: typeof import("@edge-security/clients/pki") = require("@edge-security/clients/pki");
    const serviceDir: typeof import("@edge-security/clients/service-dir") = require("@edge-security/clients/service-dir");
    const issued = await pki.issueServiceCertificate({
      caCertPem: inputs.caCertPem,
      caKeyPem: inputs.caKeyPem,
      commonName: inputs.service,
      dnsNames: inputs.dnsNames,
      ipAddresses: inputs.ipAddresses,
      keyType: inputs.keyType as never,
      lifetimeDays: inputs.lifetimeDays,
    });
    const paths = await serviceDir.writeServiceCertificate(
      inputs.dir,
      { trustBundlePem: inputs.trustBundlePem, certPem: issued.certPem, keyPem: issued.keyPem },
      { uid: inputs.uid, gid: inputs.gid },
    );
    const { caKeyPem: _secret, ...rest } = inputs;
    const outs: Outputs = {
      ...rest,
      certPath: paths.certPath,
      keyPath: paths.keyPath,
      caCertPath: paths.caCertPath,
      certPem: issued.certPem,
      serialNumber: issued.serialNumber,
      fingerprint: issued.fingerprint,
      keyFingerprint: serviceDir.publicKeyFingerprint(issued.keyPem),
      notAfter: issued.notAfter,
      files: "intact",
    };
    return { id: `${inputs.service}:${issued.serialNumber}`, outs };
  },

  // Refresh reports what is on disk: "missing" after a reboot wiped the folder, "changed" if edited.
  async read(id: string, props: Outputs) {
    const serviceDir: typeof import("@edge-security/clients/service-dir") = require("@edge-security/clients/service-dir");
    return { id, props: { ...props, files: serviceDir.inspectServiceCertificate(props.dir, props) } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const serviceDir: typeof import("@edge-security/clients/service-dir") = require("@edge-security/clients/service-dir");
    const replaces: string[] = REPLACE_ON.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    // A folder that vanished (tmpfs wiped by a reboot) or was altered means a new key and certificate.
    if (serviceDir.inspectServiceCertificate(olds.dir, olds) !== "intact") replaces.push("files");
    // Same folder, so the old files go before the new ones are written.
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },

  async delete(_id: string, props: Outputs) {
    const serviceDir: typeof import("@edge-security/clients/service-dir") = require("@edge-security/clients/service-dir");
    serviceDir.removeServiceCertificate(props.dir, props.certPem);
  },
};

export class ServiceCertificate extends pulumi.dynamic.Resource {
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
    super(provider, name, { ...args, ...outputs }, pulumi.mergeOptions(opts, { deleteBeforeReplace: true }), "edge-security", "ServiceCertificate");
  }
}
