// Dynamic resource: Kong's Admin API, waited for (bounded, clear timeout error) before any Kong resource. Records
// Kong's version (routes are written for its major) and refuses gateway paths that a Kong route this stack did
// not make already serves (reading every page of Kong's route list).
import * as pulumi from "@pulumi/pulumi";
import type { KongEndpointArgs, KongEndpointInputs } from "./kong-endpoint";

export interface KongAdminApiInputs extends KongEndpointArgs {
  waitSeconds: pulumi.Input<number>;
  /** The gateway's routes (name and path), checked against the routes Kong already has. */
  routes: pulumi.Input<{ name: string; path: string }[]>;
}

interface Inputs extends KongEndpointInputs {
  waitSeconds: number;
  routes: { name: string; path: string }[];
}

interface Outputs extends Inputs {
  version: string;
  major: number;
}

async function inspect(inputs: Inputs): Promise<Outputs> {
  const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
  const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
  const endpoint = admin.endpointOf(inputs);
  const { version, major } = await admin.waitForAdmin(endpoint, inputs.waitSeconds);
  const clashes = await gateway.foreignRoutesOnPaths(endpoint, inputs.stack, inputs.routes, major);
  if (clashes.length > 0) throw new admin.KongError(`${clashes[0]}${clashes.length > 1 ? ` (and ${clashes.length - 1} more)` : ""}`);
  return { ...inputs, version, major };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    return { id: inputs.adminUrl, outs: await inspect(inputs) };
  },

  async read(id: string, props: Outputs) {
    const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
    const { version, major } = await admin.waitForAdmin(admin.endpointOf(props), props.waitSeconds);
    return { id, props: { ...props, version, major } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const fields = ["adminUrl", "adminCaPem", "adminCredentials", "requestTimeoutSeconds", "stack", "waitSeconds", "routes"] as const;
    const changed = fields.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes: changed.length > 0 };
  },

  async update(_id: string, _olds: Outputs, news: Inputs) {
    return { outs: await inspect(news) };
  },

  // Nothing to remove: this resource only looks.
  async delete() {},
};

export class KongAdminApi extends pulumi.dynamic.Resource {
  declare readonly version: pulumi.Output<string>;
  declare readonly major: pulumi.Output<number>;

  constructor(name: string, args: KongAdminApiInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, version: undefined, major: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["adminCredentials"] }), "edge-security", "KongAdminApi");
  }
}
