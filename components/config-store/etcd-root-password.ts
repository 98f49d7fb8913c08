// Dynamic resource: the password of etcd's root user, generated once. It is its own resource so that it is
// in the state (encrypted: a secret output) before any etcd is told about it: a run interrupted after
// `auth enable` resumes with the password it set. Replacing this resource rotates root's password.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";


export class EtcdRootPassword extends ThinResource {
  declare readonly password: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("config-store/etcd-root-password"), name, { password: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password"] }), "edge-security", "EtcdRootPassword");
  }
}
