// Dynamic resource: a service's certificate and private key stored in the secret store (the gateway's, for the
// gateway to apply). The key is read from the service's folder when written; it is never an output.
import * as pulumi from "@pulumi/pulumi";
import type { SecretStoreAdmin, SecretStoreAdminArgs } from "./admin";

export interface SecretStoreCertificateInputs extends SecretStoreAdminArgs {
  mount: pulumi.Input<string>;
  path: pulumi.Input<string>;
  certPem: pulumi.Input<string>;
  keyPath: pulumi.Input<string>;
}

interface Inputs extends SecretStoreAdmin {
  mount: string;
  path: string;
  certPem: string;
  keyPath: string;
}

interface Outputs extends Inputs {
  inStore: "intact" | "missing" | "changed";
}

async function store(inputs: Inputs): Promise<Outputs> {
  const client: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  const files: typeof import("@edge-security/clients/files") = require("@edge-security/clients/files");
  const key = files.readIfExists(inputs.keyPath);
  if (key === undefined) throw new client.SecretStoreError(`the private key ${inputs.keyPath} is missing, so the certificate cannot be stored under ${inputs.mount}/${inputs.path}`);
  await client.withRootToken(inputs, inputs.unsealKeys, (admin) => client.kvWrite(inputs, admin, inputs.mount, inputs.path, { cert: inputs.certPem, key }));
  return { ...inputs, inStore: "intact" };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    return { id: `${inputs.mount}/${inputs.path}`, outs: await store(inputs) };
  },

  async read(id: string, props: Outputs) {
    const client: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    if ((await client.sealStatus(props)).sealed) return { id, props };
    const entry = await client.withRootToken(props, props.unsealKeys, (admin) => client.kvRead(props, admin, props.mount, props.path));
    return { id, props: { ...props, inStore: !entry ? "missing" : entry.cert === props.certPem ? "intact" : "changed" } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const changed: string[] = (["address", "caPem", "connectTimeoutSeconds", "mount", "path", "certPem", "keyPath"] as const).filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.unsealKeys) !== JSON.stringify(news.unsealKeys)) changed.push("unsealKeys");
    if (olds.inStore !== "intact") changed.push("inStore");
    return { changes: changed.length > 0 };
  },

  async update(_id: string, olds: Outputs, news: Inputs) {
    const outs = await store(news);
    if (olds.mount !== news.mount || olds.path !== news.path) {
      const client: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
      await client.withRootToken(news, news.unsealKeys, (admin) => client.kvDestroy(news, admin, olds.mount, olds.path));
    }
    return { outs };
  },

  async delete(_id: string, props: Outputs) {
    const client: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    await client.withRootToken(props, props.unsealKeys, (admin) => client.kvDestroy(props, admin, props.mount, props.path));
  },
};

export class SecretStoreCertificate extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;
  declare readonly certPem: pulumi.Output<string>;

  constructor(name: string, args: SecretStoreCertificateInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, inStore: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "SecretStoreCertificate");
  }
}
