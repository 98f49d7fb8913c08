// Dynamic resource: the secret store unsealed. A store that restarted comes back sealed: `refresh` and
// `preview` see it (sealed: true) and `up` unseals it with the threshold of keys, changing nothing else.
import * as pulumi from "@pulumi/pulumi";
import type { SecretStoreAdmin, SecretStoreAdminArgs } from "./admin";

export type SecretStoreUnsealInputs = SecretStoreAdminArgs;

type Inputs = SecretStoreAdmin;

interface Outputs extends Inputs {
  sealed: boolean;
}

async function unsealed(inputs: Inputs): Promise<Outputs> {
  const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  await store.unseal(inputs, inputs.unsealKeys);
  return { ...inputs, sealed: false };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    return { id: inputs.address, outs: await unsealed(inputs) };
  },

  async read(id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    return { id, props: { ...props, sealed: (await store.sealStatus(props)).sealed } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    const changed = (["address", "caPem", "connectTimeoutSeconds"] as const).filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.unsealKeys) !== JSON.stringify(news.unsealKeys)) changed.push("unsealKeys" as never);
    if ((await store.sealStatus(news)).sealed) changed.push("sealed" as never);
    return { changes: changed.length > 0 };
  },

  async update(_id: string, _olds: Outputs, news: Inputs) {
    return { outs: await unsealed(news) };
  },

  async delete() {
    // Nothing: destroying the stack does not seal the store under the services that use it.
  },
};

export class SecretStoreUnseal extends pulumi.dynamic.Resource {
  declare readonly address: pulumi.Output<string>;
  declare readonly sealed: pulumi.Output<boolean>;

  constructor(name: string, args: SecretStoreUnsealInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, sealed: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "SecretStoreUnseal");
  }
}
