// KongAdminApi's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../../shared/dynamic-resource";
import * as admin from "./kong-admin";
import * as gateway from "./kong-gateway";
import type { KongAdminApiInputs } from "./kong-admin-api";

type Inputs = pulumi.Unwrap<KongAdminApiInputs>;

interface Outputs extends Inputs {
  version: string;
  major: number;
}

async function inspect(inputs: Inputs): Promise<Outputs> {
  const endpoint = admin.endpointOf(inputs);
  const { version, major } = await admin.waitForAdmin(endpoint, inputs.waitSeconds);
  const clashes = await gateway.foreignRoutesOnPaths(endpoint, inputs.stack, inputs.routes, major);
  if (clashes.length > 0) throw new admin.KongError(`${clashes[0]}${clashes.length > 1 ? ` (and ${clashes.length - 1} more)` : ""}`);
  return { ...inputs, version, major };
}

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    return { id: inputs.adminUrl, outs: await inspect(inputs) };
  },

  async read(id, props) {
    const { version, major } = await admin.waitForAdmin(admin.endpointOf(props), props.waitSeconds);
    return { id, props: { ...props, version, major } };
  },

  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ["adminUrl", "adminCaPem", "adminCredentials", "requestTimeoutSeconds", "stack", "waitSeconds", "routes"]);
    return { changes: changed.length > 0 };
  },

  async update(_id, _olds, news) {
    return { outs: await inspect(news) };
  },

  // Nothing to remove: this resource only looks.
  async delete() {},
});
