// ServiceCertificate's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, digestOf, implement, keepDigests } from "../shared/dynamic-resource";
import * as pki from "./client";
import * as serviceDir from "./service-dir";
import { bundleOfCaAlone, type ServiceCertificateInputs } from "./service-certificate";

type Inputs = pulumi.Unwrap<ServiceCertificateInputs>;

// The CA certificate and the trust bundle are kept in the outputs as digests only (keepDigests): the same
// kilobytes in every certificate of the node, and neither read nor delete needs them. Outputs written by 0.2.0
// and before hold the PEMs themselves, and this code still reads those (their thin provider forwards here).
interface Outputs extends Omit<Inputs, "caKeyPem" | "caCertPem" | "trustBundlePem"> {
  caCertPemSha256?: string;
  trustBundlePemSha256?: string;
  caCertPem?: string;
  trustBundlePem?: string;
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
// The renewal window is not among them: it only decides when (see diff).
const REPLACE_ON = ["service", "dir", "dnsNames", "ipAddresses", "keyType", "lifetimeDays", "uid", "gid", "caCertPem", "trustBundlePem", "rotation"] as const;

/** The inputs with the trust bundle spelled out: unset means the CA certificate alone (what 0.2.0 passed). */
function withTrustBundle(inputs: Inputs): Inputs & { trustBundlePem: string } {
  return { ...inputs, trustBundlePem: inputs.trustBundlePem ?? bundleOfCaAlone(inputs.caCertPem) };
}

/** What the service's folder should hold, from outputs of either shape (the bundle's digest, or the bundle). */
function expectedFiles(props: Outputs): serviceDir.ExpectedServiceFiles {
  return { certPem: props.certPem, keyFingerprint: props.keyFingerprint, trustBundlePemSha256: props.trustBundlePemSha256 ?? digestOf(props.trustBundlePem) };
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (!pki.KEY_TYPES.includes(news.keyType as never)) failures.push({ property: "keyType", reason: `must be one of ${pki.KEY_TYPES.join(", ")}` });
    if (!Number.isInteger(news.lifetimeDays) || news.lifetimeDays <= 0) failures.push({ property: "lifetimeDays", reason: "must be a positive whole number of days" });
    if (typeof news.dir !== "string" || !news.dir.startsWith("/")) failures.push({ property: "dir", reason: "must be an absolute path" });
    if (news.rotation !== undefined && !(Number.isInteger(news.rotation) && news.rotation >= 0)) failures.push({ property: "rotation", reason: "must be a whole number, 0 or more" });
    // A window as long as the lifetime would renew on every run.
    if (news.renewBeforeDays !== undefined && !(news.renewBeforeDays >= 0 && news.renewBeforeDays < news.lifetimeDays)) failures.push({ property: "renewBeforeDays", reason: "must be 0 or more and less than lifetimeDays" });
    return { inputs: news, failures };
  },

  async create(given) {
    const inputs = withTrustBundle(given);
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
      ...keepDigests(rest, ["caCertPem", "trustBundlePem"]),
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
  async read(id, props) {
    return { id, props: { ...props, files: serviceDir.inspectServiceCertificate(props.dir, expectedFiles(props)) } };
  },

  async diff(_id, olds, given) {
    const news = withTrustBundle(given);
    const replaces: string[] = changedKeys(olds, news, REPLACE_ON);
    // A folder that vanished (tmpfs wiped by a reboot) or was altered means a new key and certificate.
    if (serviceDir.inspectServiceCertificate(olds.dir, expectedFiles(olds)) !== "intact") replaces.push("files");
    // Inside the renewal window (and nothing else replaces it): say so with the expiry date, then renew.
    const window = news.renewBeforeDays ?? pki.defaultRenewBeforeDays(news.lifetimeDays);
    if (replaces.length === 0 && pki.renewalDue(olds.notAfter, window, Date.now(), pki.certificateFacts(news.caCertPem).notAfter)) {
      console.error(pki.renewalMessage(olds.service, olds.notAfter, window)); // the CLI shows a provider's stderr in the preview
      replaces.push("notAfter");
    }
    // Same folder, so the old files go before the new ones are written.
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },

  async delete(_id, props) {
    serviceDir.removeServiceCertificate(props.dir, props.certPem);
  },
});
