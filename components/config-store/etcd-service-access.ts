// Dynamic resource: one service's access to the config store, all of what its identity there is made of:
//   - an etcd client certificate (CN = its etcd user, clientAuth) in the service's own folder; its private key
//     is generated here and lives only in that folder;
//   - an etcd user without a password and a role of the same name: readwrite on <prefix>/<service>/, read on
//     <prefix>/Publickeys/ and <prefix>/GlobalEnv/;
//   - a ZeroMQ CURVE key pair (unless curveKeys is false): the public key at <prefix>/Publickeys/<service>, the
//     secret key at <prefix>/<service>/private_key (and in the state only as a secret).
// etcd is administered as the stack's admin user (client certificate); the component orders this after EtcdAuth.
// Replacing it (`up --replace`) rotates all of them. A folder wiped by a reboot (seen on every diff) reissues
// the certificate; a user, role or key changed in etcd (seen by refresh) is restored with the same keys.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface EtcdServiceAccessInputs {
  endpoint: pulumi.Input<string>;
  prefix: pulumi.Input<string>;
  service: pulumi.Input<string>;
  user: pulumi.Input<string>;
  dir: pulumi.Input<string>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
  keyType: pulumi.Input<string>;
  lifetimeDays: pulumi.Input<number>;
  caCertPem: pulumi.Input<string>;
  /** Secret: issues the client certificate and the admin connection's. */
  caKeyPem: pulumi.Input<string>;
  waitTimeoutSeconds: pulumi.Input<number>;
  /** The client certificate's and key's file names in `dir` (default etcd-client-cert.pem, etcd-client-key.pem). */
  certFile?: pulumi.Input<string>;
  keyFile?: pulumi.Input<string>;
  /** false: no CURVE key pair (default true). */
  curveKeys?: pulumi.Input<boolean>;
}

export class EtcdServiceAccess extends ThinResource {
  declare readonly user: pulumi.Output<string>;
  declare readonly certPath: pulumi.Output<string>;
  declare readonly keyPath: pulumi.Output<string>;
  declare readonly curvePublicKey: pulumi.Output<string>;
  declare readonly curveSecretKey: pulumi.Output<string>;

  constructor(name: string, args: EtcdServiceAccessInputs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      role: undefined, certPath: undefined, keyPath: undefined, certPem: undefined, serialNumber: undefined, keyFingerprint: undefined,
      publicKeyPath: undefined, secretKeyPath: undefined, curvePublicKey: undefined, curveSecretKey: undefined, files: undefined, etcd: undefined,
    };
    super(
      thinProvider("config-store/etcd-service-access"),
      name,
      { ...args, ...outputs },
      // Same user, files and keys for old and new: always delete before replacing, also on `up --replace`.
      pulumi.mergeOptions(opts, { deleteBeforeReplace: true, additionalSecretOutputs: ["caKeyPem", "curveSecretKey"] }),
      "edge-security",
      "EtcdServiceAccess",
    );
  }
}
