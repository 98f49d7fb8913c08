// Dynamic resource: etcd's root user, the stack's admin user (certificate login) and `auth enable`. Waits (bounded) for the server to answer. An etcd whose
// authentication is already on is adopted when the stack's root password works; otherwise create fails clearly.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";

export interface EtcdAuthInputs {
  endpoint: pulumi.Input<string>;
  caCertPem: pulumi.Input<string>;
  /** Secret: signs the admin connection's in-memory client certificate. */
  caKeyPem: pulumi.Input<string>;
  /** Secret: root's password (from EtcdRootPassword). */
  rootPassword: pulumi.Input<string>;
  waitTimeoutSeconds: pulumi.Input<number>;
}

export class EtcdAuth extends ThinResource {
  declare readonly endpoint: pulumi.Output<string>;
  /** Root's password, passed on to the resources that log in as root (a secret). */
  declare readonly rootPassword: pulumi.Output<string>;

  constructor(name: string, args: EtcdAuthInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("config-store/etcd-auth"), name, { ...args, adopted: undefined, auth: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["caKeyPem", "rootPassword"] }), "edge-security", "EtcdAuth");
  }
}
