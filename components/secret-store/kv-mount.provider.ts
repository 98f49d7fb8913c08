// SecretStoreKvMount's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as store from "./client";
import type { SecretStoreKvMountInputs } from "./kv-mount";

type Inputs = pulumi.Unwrap<SecretStoreKvMountInputs>;

interface Outputs extends Inputs {
  adopted: boolean;
  live: "present" | "missing";
}

async function ensureMount(inputs: Inputs): Promise<boolean> {
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

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    const adopted = await ensureMount(inputs);
    return { id: inputs.mount, outs: { ...inputs, adopted, live: "present" } };
  },

  async read(id, props) {
    if ((await store.sealStatus(props)).sealed) return { id, props };
    const mount = await store.withRootToken(props, props.unsealKeys, (token) => store.readMount(props, token, props.mount));
    return { id, props: { ...props, live: mount ? "present" : "missing" } };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, ["mount"]);
    const changed = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "unsealKeys"]);
    return { changes: replaces.length + changed.length > 0 || olds.live === "missing", replaces };
  },

  async update(_id, olds, news) {
    // Idempotent: after a mount was removed, or the store re-initialized (new keys), the mount is made again.
    await ensureMount(news);
    return { outs: { ...news, adopted: olds.adopted, live: "present" } };
  },

  async delete(_id, props) {
    if (props.adopted) return;
    await store.withRootToken(props, props.unsealKeys, (token) => store.disableMount(props, token, props.mount));
  },
});
