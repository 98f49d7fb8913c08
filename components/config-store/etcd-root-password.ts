// Dynamic resource: the password of etcd's root user, generated once. It is its own resource so that it is
// in the state (encrypted: a secret output) before any etcd is told about it: a run interrupted after
// `auth enable` resumes with the password it set. Replacing this resource rotates root's password.
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async create() {
    const { randomBytes }: typeof import("node:crypto") = require("node:crypto");
    return { id: `etcd-root-${randomBytes(4).toString("hex")}`, outs: { password: randomBytes(24).toString("base64url") } };
  },

  // No inputs, so never a change: without a diff the engine compares the stored provider code itself, and a
  // new release's code would "update" this resource into one without its password (only --replace rotates it).
  async diff() {
    return { changes: false };
  },
};

export class EtcdRootPassword extends pulumi.dynamic.Resource {
  declare readonly password: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { password: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password"] }), "edge-security", "EtcdRootPassword");
  }
}
