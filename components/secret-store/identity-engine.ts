// Dynamic resource: what every service identity of the store needs once: a userpass auth mount (an existing
// userpass mount at the path is adopted and left in place by destroy) and the OIDC key that signs the services'
// identity tokens. The store's issuer setting is left empty, so the tokens' `iss` claim is the store's default; when
// `issuerClaim` is given, a store whose tokens would carry another (its server's api_addr is set) is an error.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export interface SecretStoreIdentityEngineInputs extends SecretStoreAdminArgs {
  userpassPath: pulumi.Input<string>;
  keyName: pulumi.Input<string>;
  algorithm: pulumi.Input<string>;
  issuerClaim?: pulumi.Input<string>;
}

export class SecretStoreIdentityEngine extends ThinResource {
  declare readonly userpassAccessor: pulumi.Output<string>;

  constructor(name: string, args: SecretStoreIdentityEngineInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("secret-store/identity-engine"), name, { ...args, userpassAccessor: undefined, adopted: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys"] }), "edge-security", "SecretStoreIdentityEngine");
  }
}
