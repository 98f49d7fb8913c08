// Dynamic resource: a server certificate and its key that a service finds inside its own configuration in etcd
// (EII's cert_type "pem"/"der": `server_cert`, `server_key` and `ca_cert` in /<App>/config, as EII's agent put
// them there), issued by the node CA for the service's names. Unlike the service's own certificate, this key leaves
// the service's folder by design: it is a secret output in the state and lives in etcd under the service's own
// prefix, which only that service (and the stack's admin) can read. Replacing it issues a new pair.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface EtcdServerCertificateInputs {
  service: pulumi.Input<string>;
  dnsNames: pulumi.Input<pulumi.Input<string>[]>;
  ipAddresses: pulumi.Input<pulumi.Input<string>[]>;
  keyType: pulumi.Input<string>;
  lifetimeDays: pulumi.Input<number>;
  caCertPem: pulumi.Input<string>;
  /** Secret. */
  caKeyPem: pulumi.Input<string>;
}

export class EtcdServerCertificate extends ThinResource {
  declare readonly certPem: pulumi.Output<string>;
  /** Secret: PKCS#8 PEM. */
  declare readonly keyPem: pulumi.Output<string>;

  constructor(name: string, args: EtcdServerCertificateInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("config-store/etcd-server-certificate"),
      name,
      { ...args, certPem: undefined, keyPem: undefined, serialNumber: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["caKeyPem", "keyPem"] }),
      "edge-security",
      "EtcdServerCertificate",
    );
  }
}
