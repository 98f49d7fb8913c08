// OrgRootCa's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import * as pki from "../pki/client";
import { changedKeys, implement } from "../shared/dynamic-resource";
import type { OrgRootCaInputs } from "./root-ca";

type Inputs = pulumi.Unwrap<OrgRootCaInputs>;
type Outputs = Inputs & { certPem: string; keyPem: string } & ReturnType<typeof pki.certificateFacts>;

// Every input is part of the certificate: a change is a new root (a new generation is the way to rotate it).
const REPLACE_ON = ["generation", "commonName", "keyType", "lifetimeDays"] as const;

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (!pki.KEY_TYPES.includes(news.keyType as never)) failures.push({ property: "keyType", reason: `must be one of ${pki.KEY_TYPES.join(", ")}` });
    if (!Number.isInteger(news.lifetimeDays) || news.lifetimeDays <= 0) failures.push({ property: "lifetimeDays", reason: "must be a positive whole number of days" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    // pathLength 1: the root signs node CAs, which sign service certificates and nothing below.
    const ca = await pki.createSelfSignedCa({ commonName: inputs.commonName, keyType: inputs.keyType as never, lifetimeDays: inputs.lifetimeDays, pathLength: 1 });
    const facts = pki.certificateFacts(ca.certPem);
    return { id: facts.fingerprint, outs: { ...inputs, certPem: ca.certPem, keyPem: ca.keyPem, ...facts } };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, REPLACE_ON);
    return { changes: replaces.length > 0, replaces };
  },
});
