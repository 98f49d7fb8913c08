// Dynamic resource: the KV v2 mount that holds the services' secrets. An existing KV v2 mount at the path is
// adopted (and left in place by destroy); any other engine mounted there is an error.
import * as pulumi from "@pulumi/pulumi";
import type { SecretStoreAdmin, SecretStoreAdminArgs } from "./admin";

export interface SecretStoreKvMountInputs extends SecretStoreAdminArgs {
  mount: pulumi.Input<string>;
}

interface Inputs extends SecretStoreAdmin {
  mount: string;
}

interface Outputs extends Inputs {
  adopted: boolean;
  live: "present" | "missing";
}

async function ensureMount(inputs: Inputs): Promise<boolean> {
  const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  return store.withRootToken(inputs, inputs.unsealKeys, async (token) => {
    const mount = await store.readMount(inputs, token, inputs.mount);
    if (!mount) {
      await store.enableKv2(inputs, token, inputs.mount);
      return false;
    }
    if (mount.type !== "kv" || mount.version !== "2") {
      throw new store.SecretStoreError(`the secret store already has a ${mount.type} v${mount.version ?? "1"} engine mounted at ${inputs.mount}/; secretStore.kvMount must name a KV v2 mount or a free path`);
    }
    return true;
  });
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    const adopted = await ensureMount(inputs);
    return { id: inputs.mount, outs: { ...inputs, adopted, live: "present" } };
  },

  async read(id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    if ((await store.sealStatus(props)).sealed) return { id, props };
    const mount = await store.withRootToken(props, props.unsealKeys, (token) => store.readMount(props, token, props.mount));
    return { id, props: { ...props, live: mount ? "present" : "missing" } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const replaces = olds.mount !== news.mount ? ["mount"] : [];
    const changed = (["address", "caPem", "connectTimeoutSeconds"] as const).filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.unsealKeys) !== JSON.stringify(news.unsealKeys)) changed.push("unsealKeys" as never);
    return { changes: replaces.length + changed.length > 0 || olds.live === "missing", replaces };
  },

  async update(_id: string, olds: Outputs, news: Inputs) {
    // Idempotent: after a mount was removed, or the store re-initialized (new keys), the mount is made again.
    await ensureMount(news);
    return { outs: { ...news, adopted: olds.adopted, live: "present" } };
  },

  async delete(_id: string, props: Outputs) {
    if (props.adopted) return;
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    await store.withRootToken(props, props.unsealKeys, (token) => store.disableMount(props, token, props.mount));
  },
};

export class SecretStoreKvMount extends pulumi.dynamic.Resource {
  declare readonly mount: pulumi.Output<string>;

  constructor(name: string, args: SecretStoreKvMountInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, adopted: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "SecretStoreKvMount");
  }
}
