// KongRoute's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import { changedKeys, implement } from "../../shared/dynamic-resource";
import * as admin from "./kong-admin";
import * as gateway from "./kong-gateway";
import type { KongEndpointInputs } from "./kong-endpoint";
import type { KongRouteSpec } from "./kong-gateway";

type Inputs = KongEndpointInputs & KongRouteSpec;

interface Outputs extends Inputs {
  /** What differed in Kong at the last read (empty: in place). */
  drift: string[];
}

const FIELDS = ["adminUrl", "adminCaPem", "adminCredentials", "requestTimeoutSeconds", "stack", "major", "name", "path", "protocol", "host", "port", "upstreamPath", "auth", "groups", "jwtMaximumExpirationSeconds", "oauth2TokenExpirationSeconds"] as const;

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (!["jwt", "oauth2", "none"].includes(news.auth)) failures.push({ property: "auth", reason: `must be "jwt", "oauth2" or "none"` });
    if (news.auth !== "none" && (!Array.isArray(news.groups) || news.groups.length === 0)) failures.push({ property: "groups", reason: "must name at least one group (the ACL plugin needs one)" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    await gateway.applyRoute(admin.endpointOf(inputs), inputs, { adopt: false });
    return { id: inputs.name, outs: { ...inputs, drift: [] } };
  },

  async read(id, props) {
    return { id, props: { ...props, drift: await gateway.routeDrift(admin.endpointOf(props), props) } };
  },

  async diff(_id, olds, news) {
    const changed: string[] = changedKeys(olds, news, FIELDS);
    if ((olds.drift ?? []).length > 0) changed.push("drift");
    // A new name is a new service and route in Kong (the old ones are removed after).
    return { changes: changed.length > 0, replaces: changedKeys(olds, news, ["name"]) };
  },

  async update(_id, olds, news) {
    if (olds.stack !== news.stack) await gateway.deleteRoute(admin.endpointOf(olds), olds);
    await gateway.applyRoute(admin.endpointOf(news), news, { adopt: olds.stack === news.stack });
    return { outs: { ...news, drift: [] } };
  },

  async delete(_id, props) {
    await gateway.deleteRoute(admin.endpointOf(props), props);
  },
});
