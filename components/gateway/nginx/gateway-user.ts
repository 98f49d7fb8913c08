// Dynamic resource: one gateway user in the secret store, as EdgeX 3/4 keep them: a policy that lets the user
// read its own identity token, an identity entity with an alias on the userpass mount, a userpass login with a
// generated password (a Pulumi secret) and an OIDC role (the token's TTL, audience and groups). Removing the
// user from the stack removes all of it. `refresh` sees any part missing or altered (and a changed password,
// by logging in); `up` puts it back with the same password.
import * as pulumi from "../../shared/pulumi";
import { ThinResource, thinProvider } from "../../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "../../secret-store/admin";

export interface GatewayUserInputs extends SecretStoreAdminArgs {
  name: pulumi.Input<string>;
  groups: pulumi.Input<pulumi.Input<string>[]>;
  userpassPath: pulumi.Input<string>;
  /** The userpass mount's accessor (from GatewayIdentity): the entity alias is made on it. */
  userpassAccessor: pulumi.Input<string>;
  keyName: pulumi.Input<string>;
  audience: pulumi.Input<string>;
  /** Token lifetime in seconds. */
  tokenTtlSeconds: pulumi.Input<number>;
  /**
   * Set: the user is made as EdgeX's `secrets-config proxy adduser` makes one (the EdgeX 4 layout): this policy
   * (name and document) on the entity, entity metadata {name}, a userpass user with periodic tokens and no policies
   * of its own, this OIDC template, and a token role of the user's name. Unset: this project's own shape.
   */
  edgex?: pulumi.Input<{ policyName: pulumi.Input<string>; policy: pulumi.Input<string>; oidcTemplate: pulumi.Input<string>; tokenPeriod: pulumi.Input<string> }>;
}

export class GatewayUser extends ThinResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;

  constructor(name: string, args: GatewayUserInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("gateway/nginx/gateway-user"), name, { ...args, password: undefined, live: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "password"], deleteBeforeReplace: true }), "edge-security", "GatewayUser");
  }
}
