// Dynamic resource: one gateway user in Kong: a consumer, its ACL groups, and its credentials: a JWT credential
// holding the user's PUBLIC key (the private key is made here and written only to the user's own 0700 folder)
// and/or an OAuth2 client-credentials credential whose secret is a Pulumi secret (and in the user's folder).
import * as pulumi from "../../shared/pulumi";
import { ThinResource, thinProvider } from "../../shared/dynamic-resource";
import type { KongEndpointArgs } from "./kong-endpoint";

export interface KongUserInputs extends KongEndpointArgs {
  username: pulumi.Input<string>;
  groups: pulumi.Input<string[]>;
  /** The user's folder (0700): private key, JWT settings, OAuth2 client file. */
  dir: pulumi.Input<string>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
  /** Set when some route uses JWT. */
  jwt?: pulumi.Input<{ algorithm: string; maximumExpirationSeconds: number }>;
  /** Set when some route uses OAuth2: where the user asks for a token (a route's path + /oauth2/token). */
  oauth2?: pulumi.Input<{ tokenPath: string }>;
}

export class KongUser extends ThinResource {
  declare readonly jwtKey: pulumi.Output<string | undefined>;
  declare readonly clientId: pulumi.Output<string | undefined>;

  constructor(name: string, args: KongUserInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("gateway/kong/kong-user"), name, { ...args, jwtKey: undefined, publicKeyPem: undefined, clientId: undefined, clientSecret: undefined, drift: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["adminCredentials", "clientSecret"] }), "edge-security", "KongUser");
  }
}
