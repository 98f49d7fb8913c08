// NodeCa's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import * as pki from "../pki/client";
import { changedKeys, implement } from "../shared/dynamic-resource";
import { EdgeError } from "../shared/errors";
import * as fleet from "./ca-client";
import type { NodeCaInputs } from "./node-ca";

type Inputs = pulumi.Unwrap<NodeCaInputs>;
type Outputs = Inputs & ReturnType<typeof pki.certificateFacts>;

// The key follows the certificate (checked to match), so the certificate and roots decide.
const REPLACE_ON = ["node", "generation", "certPem", "rootsPem"] as const;

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    // In a preview the key of a request made in the same run is unknown (a placeholder, not a PEM): create checks it.
    const known = (v: unknown): v is string => typeof v === "string" && v.includes("-----BEGIN");
    if (known(news.certPem) && typeof news.rootsPem === "string") {
      const problem = fleet.signedNodeCaProblem(news.certPem, known(news.keyPem) ? news.keyPem : undefined, news.rootsPem);
      if (problem) failures.push({ property: "certPem", reason: `node CA generation ${news.generation}: the signed certificate ${problem}` });
    }
    return { inputs: news, failures };
  },

  async create(inputs) {
    const problem = fleet.signedNodeCaProblem(inputs.certPem, inputs.keyPem, inputs.rootsPem);
    if (problem) throw new EdgeError(`node CA generation ${inputs.generation}: the signed certificate ${problem}`);
    const facts = pki.certificateFacts(inputs.certPem);
    return { id: facts.fingerprint, outs: { ...inputs, ...facts } };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, REPLACE_ON);
    return { changes: replaces.length > 0, replaces };
  },
});
