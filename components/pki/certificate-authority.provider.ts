// CertificateAuthority's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as pki from "./client";
import type { CertificateAuthorityInputs } from "./certificate-authority";

type Inputs = pulumi.Unwrap<CertificateAuthorityInputs>;

/** The imported key is never an output: the CA key is `keyPem` (a secret output), whatever the source. */
interface Outputs extends Omit<Inputs, "importedKeyPem"> {
  certPem: string;
  keyPem: string;
  trustBundlePem: string;
  serialNumber: string;
  fingerprint: string;
  notAfter: string;
}

const REPLACE_ON = ["source", "commonName", "keyType", "lifetimeDays", "importedCertPem", "importedChainPem"] as const;

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (news.source === "import" && !news.importedCertPem) failures.push({ property: "importedCertPem", reason: "an imported CA needs its certificate" });
    if (news.source === "import" && !news.importedKeyPem) failures.push({ property: "importedKeyPem", reason: "an imported CA needs its key" });
    return { inputs: news, failures };
  },

  async create(inputs) {
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

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, REPLACE_ON);
    return { changes: replaces.length > 0, replaces };
  },
});
