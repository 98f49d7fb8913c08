// EtcdServerCertificate's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as pki from "../pki/client";
import type { EtcdServerCertificateInputs } from "./etcd-server-certificate";

type Inputs = pulumi.Unwrap<EtcdServerCertificateInputs>;

interface Outputs extends Inputs {
  certPem: string;
  keyPem: string;
  serialNumber: string;
}

const REPLACE_ON = ["service", "dnsNames", "ipAddresses", "keyType", "lifetimeDays", "caCertPem"] as const;

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    const issued = await pki.issueServiceCertificate({
      caCertPem: inputs.caCertPem,
      caKeyPem: inputs.caKeyPem,
      commonName: inputs.service,
      dnsNames: inputs.dnsNames,
      ipAddresses: inputs.ipAddresses,
      keyType: inputs.keyType as never,
      lifetimeDays: inputs.lifetimeDays,
      usage: "server-and-client",
    });
    const outs: Outputs = { ...inputs, certPem: issued.certPem, keyPem: issued.keyPem, serialNumber: issued.serialNumber };
    return { id: `${inputs.service}:${issued.serialNumber}`, outs };
  },

  // Nothing outside the state to read: the pair lives in the state and, through the service's config, in etcd
  // (where the config's own resource sees drift).
  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, REPLACE_ON);
    return { changes: replaces.length > 0 || changedKeys(olds, news, ["caKeyPem"]).length > 0, replaces };
  },

  async update(_id, olds, news) {
    return { outs: { ...news, certPem: olds.certPem, keyPem: olds.keyPem, serialNumber: olds.serialNumber } };
  },
});
