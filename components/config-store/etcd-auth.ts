// Dynamic resource: etcd's root user, the stack's admin user (certificate login) and `auth enable`. Waits (bounded) for the server to answer. An etcd whose
// authentication is already on is adopted when the stack's root password works; otherwise create fails clearly.
import * as pulumi from "@pulumi/pulumi";

export interface EtcdAuthInputs {
  endpoint: pulumi.Input<string>;
  caCertPem: pulumi.Input<string>;
  /** Secret: signs the admin connection's in-memory client certificate. */
  caKeyPem: pulumi.Input<string>;
  /** Secret: root's password (from EtcdRootPassword). */
  rootPassword: pulumi.Input<string>;
  waitTimeoutSeconds: pulumi.Input<number>;
}

interface State {
  endpoint: string;
  caCertPem: string;
  caKeyPem: string;
  rootPassword: string;
  waitTimeoutSeconds: number;
  /** Whether authentication was already on, with this password, when this resource was created. */
  adopted?: boolean;
  /** The live state seen by create/update/refresh: "enabled", "disabled", "locked" (password refused) or "admin-missing". */
  auth?: string;
}

const target = (s: State) => ({ endpoint: s.endpoint, caCertPem: s.caCertPem, caKeyPem: s.caKeyPem, waitTimeoutSeconds: s.waitTimeoutSeconds });

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: State, news: State) {
    const failures = [];
    if (typeof news.endpoint !== "string" || !news.endpoint.startsWith("https://")) failures.push({ property: "endpoint", reason: "must be an https:// URL" });
    if (!news.rootPassword) failures.push({ property: "rootPassword", reason: "is required" });
    return { inputs: news, failures };
  },

  async create(inputs: State) {
    const auth: typeof import("@edge-security/clients/etcd-auth") = require("@edge-security/clients/etcd-auth");
    const { adopted } = await auth.enableAuth(target(inputs), inputs.rootPassword);
    return { id: inputs.endpoint, outs: { ...inputs, adopted, auth: "enabled" } };
  },

  // Refresh reports whether authentication is still on and root's password still works.
  async read(id: string, props: State) {
    const auth: typeof import("@edge-security/clients/etcd-auth") = require("@edge-security/clients/etcd-auth");
    return { id, props: { ...props, auth: await auth.inspectAuth(target(props), props.rootPassword) } };
  },

  async diff(_id: string, olds: State, news: State) {
    // Another etcd is another resource; a new password or CA, or authentication found off, is an update.
    const replaces = olds.endpoint !== news.endpoint ? ["endpoint"] : [];
    const changed = (["caCertPem", "caKeyPem", "rootPassword", "waitTimeoutSeconds"] as const).some((k) => olds[k] !== news[k]) || olds.auth !== "enabled";
    return { changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: true };
  },

  async update(_id: string, olds: State, news: State) {
    const auth: typeof import("@edge-security/clients/etcd-auth") = require("@edge-security/clients/etcd-auth");
    // A rotated password (EtcdRootPassword replaced) is set with the old one.
    if (olds.rootPassword !== news.rootPassword && ["enabled", "admin-missing"].includes(await auth.inspectAuth(target(news), olds.rootPassword))) {
      await auth.changeRootPassword(target(news), olds.rootPassword, news.rootPassword);
    }
    await auth.enableAuth(target(news), news.rootPassword);
    return { outs: { ...news, adopted: olds.adopted, auth: "enabled" } };
  },

  // Back to an open etcd, as before the stack: authentication off and no root user.
  async delete(_id: string, props: State) {
    const auth: typeof import("@edge-security/clients/etcd-auth") = require("@edge-security/clients/etcd-auth");
    await auth.disableAuth(target(props), props.rootPassword);
  },
};

export class EtcdAuth extends pulumi.dynamic.Resource {
  declare readonly endpoint: pulumi.Output<string>;
  /** Root's password, passed on to the resources that log in as root (a secret). */
  declare readonly rootPassword: pulumi.Output<string>;

  constructor(name: string, args: EtcdAuthInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, adopted: undefined, auth: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["caKeyPem", "rootPassword"] }), "edge-security", "EtcdAuth");
  }
}
