// Dynamic resource: what the gateway's users share in the secret store (as EdgeX 3/4 set it up): the userpass auth
// method (enabled once), the identity engine's issuer, and its OIDC signing key (ES384 or ES256) that signs the
// users' tokens. `refresh` sees a disabled method, a deleted or altered key; `up` puts them back.
import * as pulumi from "../../shared/pulumi";
import { ThinResource, thinProvider } from "../../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "../../secret-store/admin";

export interface GatewayIdentityInputs extends SecretStoreAdminArgs {
  userpassPath: pulumi.Input<string>;
  keyName: pulumi.Input<string>;
  algorithm: pulumi.Input<string>;
  /** The identity tokens' issuer (the store's address). */
  issuer: pulumi.Input<string>;
}

export class GatewayIdentity extends ThinResource {
  declare readonly userpassAccessor: pulumi.Output<string>;
  declare readonly keyName: pulumi.Output<string>;
  declare readonly userpassPath: pulumi.Output<string>;

  constructor(name: string, args: GatewayIdentityInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("gateway/nginx/gateway-identity"), name, { ...args, userpassAccessor: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"], deleteBeforeReplace: true }), "edge-security", "GatewayIdentity");
  }
}
