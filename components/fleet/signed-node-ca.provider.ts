// SignedNodeCa's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as fleet from "./ca-client";
import type { SignedNodeCaInputs } from "./signed-node-ca";

type Inputs = pulumi.Unwrap<SignedNodeCaInputs>;
type Outputs = Omit<Inputs, "issuerKeyPem"> & Awaited<ReturnType<typeof fleet.signNodeCa>>;

// The issuer's key follows its certificate: comparing the certificate is enough, and keeps the key out of diffs.
const REPLACE_ON = ["node", "generation", "csrPem", "rootGeneration", "issuerCertPem", "lifetimeDays", "permittedDns", "permittedIps"] as const;

/** The engine's placeholder for a value not known yet (pulumi/runtime/rpc's unknownValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    // A request made in the same run is unknown in a preview (a placeholder): create checks it.
    if (typeof news.csrPem === "string" && news.csrPem !== UNKNOWN) {
      try {
        await fleet.readCaRequest(news.csrPem);
      } catch (err) {
        failures.push({ property: "csrPem", reason: `node ${news.node}, generation ${news.generation}: ${(err as Error).message}` });
      }
    }
    if (!Number.isInteger(news.lifetimeDays) || news.lifetimeDays <= 0) failures.push({ property: "lifetimeDays", reason: "must be a positive whole number of days" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    const signed = await fleet.signNodeCa({
      csrPem: inputs.csrPem,
      issuerCertPem: inputs.issuerCertPem,
      issuerKeyPem: inputs.issuerKeyPem,
      lifetimeDays: inputs.lifetimeDays,
      nameConstraints: { dns: inputs.permittedDns, ips: inputs.permittedIps },
    });
    const { issuerKeyPem: _secret, ...rest } = inputs;
    return { id: signed.fingerprint, outs: { ...rest, ...signed } };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, REPLACE_ON);
    return { changes: replaces.length > 0, replaces };
  },
});
