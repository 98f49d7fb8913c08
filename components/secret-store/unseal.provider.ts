// SecretStoreUnseal's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as store from "./client";
import type { SecretStoreUnsealInputs } from "./unseal";

type Inputs = pulumi.Unwrap<SecretStoreUnsealInputs>;

interface Outputs extends Inputs {
  sealed: boolean;
}

async function unsealed(inputs: Inputs): Promise<Outputs> {
  await store.unseal(inputs, inputs.unsealKeys);
  return { ...inputs, sealed: false };
}

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    return { id: inputs.address, outs: await unsealed(inputs) };
  },

  async read(id, props) {
    return { id, props: { ...props, sealed: (await store.sealStatus(props)).sealed } };
  },

  async diff(_id, olds, news) {
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "unsealKeys"]);
    if ((await store.sealStatus(news)).sealed) changed.push("sealed");
    return { changes: changed.length > 0 };
  },

  async update(_id, _olds, news) {
    return { outs: await unsealed(news) };
  },

  async delete() {
    // Nothing: destroying the stack does not seal the store under the services that use it.
  },
});
