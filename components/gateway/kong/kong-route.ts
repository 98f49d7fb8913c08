// Dynamic resource: one gateway route in Kong: its service (the upstream), its route (a plain path prefix,
// strip_path) and its auth plugins (JWT with exp always checked, or OAuth2 client credentials; plus ACL), all
// upserted by endpoint key or deterministic id. `read` reports drift; `up` repairs it.
import * as pulumi from "../../shared/pulumi";
import { ThinResource, thinProvider } from "../../shared/dynamic-resource";
import type { KongEndpointArgs } from "./kong-endpoint";

export interface KongRouteInputs extends KongEndpointArgs {
  major: pulumi.Input<number>;
  name: pulumi.Input<string>;
  path: pulumi.Input<string>;
  protocol: pulumi.Input<"http" | "https">;
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  upstreamPath: pulumi.Input<string>;
  auth: pulumi.Input<"jwt" | "oauth2" | "none">;
  groups: pulumi.Input<string[]>;
  jwtMaximumExpirationSeconds: pulumi.Input<number>;
  oauth2TokenExpirationSeconds: pulumi.Input<number>;
}

export class KongRoute extends ThinResource {
  declare readonly path: pulumi.Output<string>;
  declare readonly drift: pulumi.Output<string[]>;

  constructor(name: string, args: KongRouteInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("gateway/kong/kong-route"), name, { ...args, drift: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["adminCredentials"] }), "edge-security", "KongRoute");
  }
}
