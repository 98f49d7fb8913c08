// Dynamic resource: the gateway's TLS certificate in Kong, read back from the secret store (where the secret
// store component put it) and applied under a deterministic id (UUIDv5 of the stack and its purpose) with its
// SNIs. A second run puts the same id; a rotation (a new certificate in the store) replaces the certificate
// under the same id; an SNI bound to a certificate this stack does not own is an error naming both, before
// anything changes. The private key passes through memory only: it is never an input or output.
import * as pulumi from "../../shared/pulumi";
import { ThinResource, thinProvider } from "../../shared/dynamic-resource";
import type { KongEndpointArgs } from "./kong-endpoint";
import type { SecretStoreAdminArgs } from "../../secret-store/admin";

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

export class KongCertificate extends ThinResource {
  declare readonly certificateId: pulumi.Output<string>;
  declare readonly appliedSha256: pulumi.Output<string>;

  constructor(name: string, args: KongCertificateInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("gateway/kong/kong-certificate"), name, { ...args, appliedSha256: undefined, drift: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["adminCredentials", "store"] }), "edge-security", "KongCertificate");
  }
}
