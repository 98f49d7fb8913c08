// KongCertificate's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../../shared/dynamic-resource";
import * as admin from "./kong-admin";
import * as gateway from "./kong-gateway";
import * as store from "../../secret-store/client";
import type { KongCertificateInputs } from "./kong-certificate";

type Inputs = pulumi.Unwrap<KongCertificateInputs>;

interface Outputs extends Inputs {
  /** SHA-256 of the certificate applied to Kong. */
  appliedSha256: string;
  drift: string[];
}

async function apply(inputs: Inputs, previousSnis: string[]): Promise<Outputs> {
  const entry = await store.withRootToken(inputs.store, inputs.store.unsealKeys, (token) => store.kvRead(inputs.store, token, inputs.mount, inputs.path));
  if (!entry?.cert || !entry?.key) throw new admin.KongError(`the gateway certificate is not in the secret store at ${inputs.mount}/${inputs.path} (cert and key), so it cannot be applied to Kong`);
  await gateway.applyCertificate(admin.endpointOf(inputs), inputs.stack, inputs.certificateId, entry.cert, entry.key, inputs.snis, previousSnis);
  return { ...inputs, appliedSha256: gateway.certificateSha256(entry.cert), drift: [] };
}

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    return { id: inputs.certificateId, outs: await apply(inputs, []) };
  },

  async read(id, props) {
    return { id, props: { ...props, drift: await gateway.certificateDrift(admin.endpointOf(props), props.certificateId, props.appliedSha256, props.snis) } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, ["certificateId"]);
    const changed: string[] = changedKeys(olds, news, ["adminUrl", "adminCaPem", "adminCredentials", "requestTimeoutSeconds", "stack", "store", "mount", "path", "certPem", "snis"]);
    if ((olds.drift ?? []).length > 0) changed.push("drift");
    return { changes: changed.length + replaces.length > 0, replaces };
  },

  async update(_id, olds, news) {
    return { outs: await apply(news, olds.snis) };
  },

  async delete(_id, props) {
    await gateway.deleteCertificate(admin.endpointOf(props), props.certificateId);
  },
});
