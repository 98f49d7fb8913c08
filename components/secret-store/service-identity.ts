// Dynamic resource: one service's identity in the store and its token, as an identity-based client expects them:
// a policy; an identity entity of the service's name holding that policy (metadata {name}); a userpass user of
// that name (random password, periodic tokens with no policies of their own) with an alias on the entity; an OIDC
// role of that name (the service's identity tokens); optionally a token role of that name (for re-issuing a token
// bound to the entity); and the token: the userpass login response, written as is to the token file (0600, folder
// 0700). A revoked or expired token, a deleted entity, user or role, a changed policy, a lost token file are seen by
// `refresh`/`preview` and made good by `up`. Replacing it (`up --replace`) removes everything first and issues a
// new token: the old one is revoked.
import * as pulumi from "../shared/pulumi";
import { ThinResource, thinProvider } from "../shared/dynamic-resource";
import type { SecretStoreAdminArgs } from "./admin";

export interface ServiceIdentityInputs extends SecretStoreAdminArgs {
  service: pulumi.Input<string>;
  policyName: pulumi.Input<string>;
  policy: pulumi.Input<string>;
  /** A path the token must be able to read (its own secrets), to tell a working token from a useless one. */
  checkPath: pulumi.Input<string>;
  userpassPath: pulumi.Input<string>;
  userpassAccessor: pulumi.Input<string>;
  oidcKey: pulumi.Input<string>;
  oidcClientId: pulumi.Input<string>;
  oidcTtlSeconds: pulumi.Input<number>;
  /** JSON of the identity token's extra claims. */
  oidcTemplate: pulumi.Input<string>;
  tokenRole: pulumi.Input<boolean>;
  period: pulumi.Input<string>;
  tokenFile: pulumi.Input<string>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
  /** Rotation generation: a change revokes the token and issues a new one (docs/rotation.md). Unset: 0. */
  rotation?: pulumi.Input<number>;
  /** Renewal window (24h, 90m, 3600s) before the token's expiry; unset: a third of the period, "0s": off. */
  renewBefore?: pulumi.Input<string>;
}

export class ServiceIdentity extends ThinResource {
  declare readonly tokenFile: pulumi.Output<string>;
  declare readonly entityId: pulumi.Output<string>;

  constructor(name: string, args: ServiceIdentityInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("secret-store/service-identity"),
      name,
      { ...args, password: undefined, accessor: undefined, entityId: undefined, token: undefined, tokenFileContent: undefined, live: undefined },
      // The replacement reuses the names (entity, user, roles): the old ones go first.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "password", "token", "tokenFileContent"], deleteBeforeReplace: true }),
      "edge-security",
      "ServiceIdentity",
    );
  }
}
