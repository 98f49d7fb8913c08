// Dynamic resource: Kong's Admin API, waited for (bounded, clear timeout error) before any Kong resource. Records
// Kong's version (routes are written for its major) and refuses gateway paths that a Kong route this stack did
// not make already serves (reading every page of Kong's route list).
import * as pulumi from "../../shared/pulumi";
import { ThinResource, thinProvider } from "../../shared/dynamic-resource";
import type { KongEndpointArgs } from "./kong-endpoint";

export interface KongAdminApiInputs extends KongEndpointArgs {
  waitSeconds: pulumi.Input<number>;
  /** The gateway's routes (name and path), checked against the routes Kong already has. */
  routes: pulumi.Input<{ name: string; path: string }[]>;
}

export class KongAdminApi extends ThinResource {
  declare readonly version: pulumi.Output<string>;
  declare readonly major: pulumi.Output<number>;

  constructor(name: string, args: KongAdminApiInputs, opts?: pulumi.CustomResourceOptions) {
    super(thinProvider("gateway/kong/kong-admin-api"), name, { ...args, version: undefined, major: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["adminCredentials"] }), "edge-security", "KongAdminApi");
  }
}
