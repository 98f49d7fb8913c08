// Dynamic resource: one gateway route in Kong: its service (the upstream), its route (a plain path prefix,
// strip_path) and its auth plugins (JWT with exp always checked, or OAuth2 client credentials; plus ACL), all
// upserted by endpoint key or deterministic id. `read` reports drift; `up` repairs it.
import * as pulumi from "@pulumi/pulumi";
import type { KongEndpointArgs, KongEndpointInputs } from "./kong-endpoint";

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

type Inputs = KongEndpointInputs & import("@edge-security/clients/kong-gateway").KongRouteSpec;

interface Outputs extends Inputs {
  /** What differed in Kong at the last read (empty: in place). */
  drift: string[];
}

const FIELDS = ["adminUrl", "adminCaPem", "adminCredentials", "requestTimeoutSeconds", "stack", "major", "name", "path", "protocol", "host", "port", "upstreamPath", "auth", "groups", "jwtMaximumExpirationSeconds", "oauth2TokenExpirationSeconds"] as const;

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Inputs, news: Inputs) {
    const failures = [];
    if (!["jwt", "oauth2", "none"].includes(news.auth)) failures.push({ property: "auth", reason: `must be "jwt", "oauth2" or "none"` });
    if (news.auth !== "none" && (!Array.isArray(news.groups) || news.groups.length === 0)) failures.push({ property: "groups", reason: "must name at least one group (the ACL plugin needs one)" });
    return { inputs: news, failures };
  },

  async create(inputs: Inputs) {
    const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
    const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
    await gateway.applyRoute(admin.endpointOf(inputs), inputs, { adopt: false });
    return { id: inputs.name, outs: { ...inputs, drift: [] } };
  },

  async read(id: string, props: Outputs) {
    const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
    const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
    return { id, props: { ...props, drift: await gateway.routeDrift(admin.endpointOf(props), props) } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const changed: string[] = FIELDS.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    if ((olds.drift ?? []).length > 0) changed.push("drift");
    // A new name is a new service and route in Kong (the old ones are removed after).
    return { changes: changed.length > 0, replaces: olds.name !== news.name ? ["name"] : [] };
  },

  async update(_id: string, olds: Outputs, news: Inputs) {
    const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
    const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
    if (olds.stack !== news.stack) await gateway.deleteRoute(admin.endpointOf(olds), olds);
    await gateway.applyRoute(admin.endpointOf(news), news, { adopt: olds.stack === news.stack });
    return { outs: { ...news, drift: [] } };
  },

  async delete(_id: string, props: Outputs) {
    const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
    const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
    await gateway.deleteRoute(admin.endpointOf(props), props);
  },
};

export class KongRoute extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;
  declare readonly drift: pulumi.Output<string[]>;

  constructor(name: string, args: KongRouteInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, drift: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["adminCredentials"] }), "edge-security", "KongRoute");
  }
}
