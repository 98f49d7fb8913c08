// NodeCaRequest's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import * as pki from "../pki/client";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as fleet from "./ca-client";
import type { NodeCaRequestInputs } from "./node-ca-request";

type Inputs = pulumi.Unwrap<NodeCaRequestInputs>;
type Outputs = Inputs & Awaited<ReturnType<typeof fleet.createCaRequest>>;

const REPLACE_ON = ["node", "generation", "commonName", "keyType"] as const;

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (!pki.KEY_TYPES.includes(news.keyType as never)) failures.push({ property: "keyType", reason: `must be one of ${pki.KEY_TYPES.join(", ")}` });
    return { inputs: news, failures };
  },

  async create(inputs) {
    const request = await fleet.createCaRequest({ commonName: inputs.commonName, keyType: inputs.keyType as never });
    return { id: request.publicKeyFingerprint, outs: { ...inputs, ...request } };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, REPLACE_ON);
    return { changes: replaces.length > 0, replaces };
  },
});
