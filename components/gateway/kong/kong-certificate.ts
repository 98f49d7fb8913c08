// Dynamic resource: the gateway's TLS certificate in Kong, read back from the secret store (where the secret
// store component put it) and applied under a deterministic id (UUIDv5 of the stack and its purpose) with its
// SNIs. A second run puts the same id; a rotation (a new certificate in the store) replaces the certificate
// under the same id; an SNI bound to a certificate this stack does not own is an error naming both, before
// anything changes. The private key passes through memory only: it is never an input or output.
import * as pulumi from "@pulumi/pulumi";
import type { KongEndpointArgs, KongEndpointInputs } from "./kong-endpoint";
import type { SecretStoreAdmin, SecretStoreAdminArgs } from "../../secret-store/admin";

export interface KongCertificateInputs extends KongEndpointArgs {
  store: pulumi.Input<SecretStoreAdminArgs>;
  /** KV v2 mount and path of the stored certificate ({cert, key}). */
  mount: pulumi.Input<string>;
  path: pulumi.Input<string>;
  /** The certificate the stack stored (public): a new one means a rotation to apply. */
  certPem: pulumi.Input<string>;
  snis: pulumi.Input<string[]>;
  /** Deterministic: the same stack always uses the same certificate id in Kong. */
  certificateId: pulumi.Input<string>;
}

interface Inputs extends KongEndpointInputs {
  store: SecretStoreAdmin;
  mount: string;
  path: string;
  certPem: string;
  snis: string[];
  certificateId: string;
}

interface Outputs extends Inputs {
  /** SHA-256 of the certificate applied to Kong. */
  appliedSha256: string;
  drift: string[];
}

async function apply(inputs: Inputs, previousSnis: string[]): Promise<Outputs> {
  const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
  const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
  const entry = await store.withRootToken(inputs.store, inputs.store.unsealKeys, (token) => store.kvRead(inputs.store, token, inputs.mount, inputs.path));
  if (!entry?.cert || !entry?.key) throw new admin.KongError(`the gateway certificate is not in the secret store at ${inputs.mount}/${inputs.path} (cert and key), so it cannot be applied to Kong`);
  await gateway.applyCertificate(admin.endpointOf(inputs), inputs.stack, inputs.certificateId, entry.cert, entry.key, inputs.snis, previousSnis);
  return { ...inputs, appliedSha256: gateway.certificateSha256(entry.cert), drift: [] };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    return { id: inputs.certificateId, outs: await apply(inputs, []) };
  },

  async read(id: string, props: Outputs) {
    const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
    const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
    return { id, props: { ...props, drift: await gateway.certificateDrift(admin.endpointOf(props), props.certificateId, props.appliedSha256, props.snis) } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const fields = ["adminUrl", "adminCaPem", "adminCredentials", "requestTimeoutSeconds", "stack", "store", "mount", "path", "certPem", "snis"] as const;
    const changed: string[] = fields.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    if ((olds.drift ?? []).length > 0) changed.push("drift");
    return { changes: changed.length > 0 || olds.certificateId !== news.certificateId, replaces: olds.certificateId !== news.certificateId ? ["certificateId"] : [] };
  },

  async update(_id: string, olds: Outputs, news: Inputs) {
    return { outs: await apply(news, olds.snis) };
  },

  async delete(_id: string, props: Outputs) {
    const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
    const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
    await gateway.deleteCertificate(admin.endpointOf(props), props.certificateId);
  },
};

export class KongCertificate extends pulumi.dynamic.Resource {
  declare readonly certificateId: pulumi.Output<string>;
  declare readonly appliedSha256: pulumi.Output<string>;

  constructor(name: string, args: KongCertificateInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, appliedSha256: undefined, drift: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["adminCredentials", "store"] }), "edge-security", "KongCertificate");
  }
}
