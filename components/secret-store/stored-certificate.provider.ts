// SecretStoreCertificate's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as files from "../shared/files";
import * as client from "./client";
import type { SecretStoreCertificateInputs } from "./stored-certificate";

type Inputs = pulumi.Unwrap<SecretStoreCertificateInputs>;

interface Outputs extends Inputs {
  inStore: "intact" | "missing" | "changed";
}

async function store(inputs: Inputs): Promise<Outputs> {
  const key = files.readIfExists(inputs.keyPath);
  if (key === undefined) throw new client.SecretStoreError(`the private key ${inputs.keyPath} is missing, so the certificate cannot be stored under ${inputs.mount}/${inputs.path}`);
  await client.withRootToken(inputs, inputs.unsealKeys, (admin) => client.kvWrite(inputs, admin, inputs.mount, inputs.path, { cert: inputs.certPem, key }));
  return { ...inputs, inStore: "intact" };
}

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    return { id: `${inputs.mount}/${inputs.path}`, outs: await store(inputs) };
  },

  async read(id, props) {
    if ((await client.sealStatus(props)).sealed) return { id, props };
    const entry = await client.withRootToken(props, props.unsealKeys, (admin) => client.kvRead(props, admin, props.mount, props.path));
    return { id, props: { ...props, inStore: !entry ? "missing" : entry.cert === props.certPem ? "intact" : "changed" } };
  },

  async diff(_id, olds, news) {
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "mount", "path", "certPem", "keyPath", "unsealKeys"]);
    if (olds.inStore !== "intact") changed.push("inStore");
    return { changes: changed.length > 0 };
  },

  async update(_id, olds, news) {
    const outs = await store(news);
    if (olds.mount !== news.mount || olds.path !== news.path) {
      await client.withRootToken(news, news.unsealKeys, (admin) => client.kvDestroy(news, admin, olds.mount, olds.path));
    }
    return { outs };
  },

  async delete(_id, props) {
    await client.withRootToken(props, props.unsealKeys, (admin) => client.kvDestroy(props, admin, props.mount, props.path));
  },
});
