// Dynamic resource: one service's database credentials, kept in the secret store under the service's own KV
// path: a username from the config and a generated password of 32 random bytes. Generated once and kept across
// runs; an entry lost from the store is written again with the same values. `up --replace` makes a new password
// (the old entry is deleted first, so the new one cannot adopt it). Outputs are Pulumi secrets.
import * as pulumi from "@pulumi/pulumi";
import type { SecretStoreAdmin, SecretStoreAdminArgs } from "./admin";

export interface ServiceDbCredentialsInputs extends SecretStoreAdminArgs {
  mount: pulumi.Input<string>;
  /** Inside the mount, e.g. edgex/core-data/db */
  path: pulumi.Input<string>;
  username: pulumi.Input<string>;
}

interface Inputs extends SecretStoreAdmin {
  mount: string;
  path: string;
  username: string;
}

interface Outputs extends Inputs {
  password: string;
  inStore: "intact" | "missing" | "changed";
}

const PASSWORD_BYTES = 32;

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    const { randomBytes } = require("node:crypto");
    const password = await store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
      // An entry written by an interrupted run is adopted, so a crash never leaves two passwords in play.
      const existing = await store.kvRead(inputs, admin, inputs.mount, inputs.path);
      if (existing?.username === inputs.username && typeof existing.password === "string" && existing.password.length > 0) return existing.password;
      const generated: string = randomBytes(PASSWORD_BYTES).toString("base64url");
      await store.kvWrite(inputs, admin, inputs.mount, inputs.path, { username: inputs.username, password: generated });
      return generated;
    });
    return { id: `${inputs.mount}/${inputs.path}`, outs: { ...inputs, password, inStore: "intact" } };
  },

  async read(id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    if ((await store.sealStatus(props)).sealed) return { id, props };
    const entry = await store.withRootToken(props, props.unsealKeys, (admin) => store.kvRead(props, admin, props.mount, props.path));
    const inStore = !entry ? "missing" : entry.username === props.username && entry.password === props.password ? "intact" : "changed";
    return { id, props: { ...props, inStore } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const changed: string[] = (["address", "caPem", "connectTimeoutSeconds", "mount", "path", "username"] as const).filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.unsealKeys) !== JSON.stringify(news.unsealKeys)) changed.push("unsealKeys");
    if (olds.inStore !== "intact") changed.push("inStore");
    return { changes: changed.length > 0 };
  },

  async update(_id: string, olds: Outputs, news: Inputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    await store.withRootToken(news, news.unsealKeys, async (admin) => {
      await store.kvWrite(news, admin, news.mount, news.path, { username: news.username, password: olds.password });
      if (olds.mount !== news.mount || olds.path !== news.path) await store.kvDestroy(news, admin, olds.mount, olds.path);
    });
    return { outs: { ...news, password: olds.password, inStore: "intact" } };
  },

  async delete(_id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    await store.withRootToken(props, props.unsealKeys, (admin) => store.kvDestroy(props, admin, props.mount, props.path));
  },
};

export class ServiceDbCredentials extends pulumi.dynamic.Resource {
  declare readonly username: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;
  declare readonly path: pulumi.Output<string>;

  constructor(name: string, args: ServiceDbCredentialsInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, password: undefined, inStore: undefined },
      // Replacing means a new password: the old entry goes first so that create does not adopt it.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "password"], deleteBeforeReplace: true }),
      "edge-security",
      "ServiceDbCredentials",
    );
  }
}
