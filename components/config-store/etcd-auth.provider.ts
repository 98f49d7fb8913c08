// EtcdAuth's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as auth from "./etcd-auth-client";
import type { EtcdAuthInputs } from "./etcd-auth";

type Inputs = pulumi.Unwrap<EtcdAuthInputs>;

interface Outputs extends Inputs {
  /** Whether authentication was already on, with this password, when this resource was created. */
  adopted?: boolean;
  /** The live state seen by create/update/refresh: "enabled", "disabled", "locked" (password refused) or "admin-missing". */
  auth?: string;
}

const target = (s: Inputs) => ({ endpoint: s.endpoint, caCertPem: s.caCertPem, caKeyPem: s.caKeyPem, waitTimeoutSeconds: s.waitTimeoutSeconds });

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (typeof news.endpoint !== "string" || !news.endpoint.startsWith("https://")) failures.push({ property: "endpoint", reason: "must be an https:// URL" });
    if (!news.rootPassword) failures.push({ property: "rootPassword", reason: "is required" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    const { adopted } = await auth.enableAuth(target(inputs), inputs.rootPassword);
    return { id: inputs.endpoint, outs: { ...inputs, adopted, auth: "enabled" } };
  },

  // Refresh reports whether authentication is still on and root's password still works.
  async read(id, props) {
    return { id, props: { ...props, auth: await auth.inspectAuth(target(props), props.rootPassword) } };
  },

  async diff(_id, olds, news) {
    // Another etcd is another resource; a new password or CA, or authentication found off, is an update.
    const replaces = changedKeys(olds, news, ["endpoint"]);
    const changed = changedKeys(olds, news, ["caCertPem", "caKeyPem", "rootPassword", "waitTimeoutSeconds"]).length > 0 || olds.auth !== "enabled";
    return { changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: true };
  },

  async update(_id, olds, news) {
    // A rotated password (EtcdRootPassword replaced) is set with the old one.
    if (olds.rootPassword !== news.rootPassword && ["enabled", "admin-missing"].includes(await auth.inspectAuth(target(news), olds.rootPassword))) {
      await auth.changeRootPassword(target(news), olds.rootPassword, news.rootPassword);
    }
    await auth.enableAuth(target(news), news.rootPassword);
    return { outs: { ...news, adopted: olds.adopted, auth: "enabled" } };
  },

  // Back to an open etcd, as before the stack: authentication off and no root user.
  async delete(_id, props) {
    await auth.disableAuth(target(props), props.rootPassword);
  },
});
