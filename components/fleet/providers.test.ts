// The fleet's dynamic providers, taken from their serialized form as the provider host gets them (see
// components/pki/providers.test.ts): check refuses bad input with one line, create keeps keys out of the wrong
// outputs, diff names what forces a new certificate.
import Module from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProvider, serializedProviderMocks } from "../../test/fixtures/provider-code";
import { createSelfSignedCa } from "../pki/client";

const { register } = Module.createRequire(__filename)("tsx/cjs/api") as { register(): () => void };
type Provider = Required<pulumi.dynamic.ResourceProvider>;
const NAMES = ["OrgRootCa", "SignedNodeCa", "NodeCaRequest", "NodeCa"] as const;
const providers = {} as Record<(typeof NAMES)[number], Provider>;
let unregisterTsx: () => void;

beforeAll(async () => {
  unregisterTsx = register();
  const serialized = await serializedProviderMocks("unit");
  const { OrgRootCa } = await import("./root-ca");
  const { SignedNodeCa } = await import("./signed-node-ca");
  const { NodeCaRequest } = await import("./node-ca-request");
  const { NodeCa } = await import("./node-ca");
  new OrgRootCa("root", { generation: 1, commonName: "R", keyType: "ec-p256", lifetimeDays: 1 });
  new SignedNodeCa("signed", { node: "n", generation: 1, csrPem: "", rootGeneration: 1, issuerCertPem: "", issuerKeyPem: "", lifetimeDays: 1, permittedDns: [], permittedIps: [] });
  new NodeCaRequest("request", { node: "n", generation: 1, commonName: "N", keyType: "ec-p256" });
  new NodeCa("ca", { node: "n", generation: 1, certPem: "", keyPem: "", rootsPem: "" });
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  for (const name of NAMES) providers[name] = loadProvider(serialized[`pulumi-nodejs:dynamic/edge-security:${name}`]) as Provider;
}, 60_000);
afterAll(() => unregisterTsx?.());

describe("fleet providers", () => {
  it("each has a diff", () => {
    for (const name of NAMES) expect(typeof providers[name].diff, name).toBe("function");
  });

  it("the root, a node's request signed by it, and the node CA made of both chain together; keys stay out of other outputs", async () => {
    const root = await providers.OrgRootCa.create({ generation: 1, commonName: "Org Root g1", keyType: "ec-p256", lifetimeDays: 10 });
    expect(root.outs.keyPem).toContain("PRIVATE KEY");
    const request = await providers.NodeCaRequest.create({ node: "n", generation: 1, commonName: "node CA n g1", keyType: "ec-p256" });
    expect(request.outs.csrPem).toContain("BEGIN CERTIFICATE REQUEST");
    const signedInputs = { node: "n", generation: 1, csrPem: request.outs.csrPem, rootGeneration: 1, issuerCertPem: root.outs.certPem, issuerKeyPem: root.outs.keyPem, lifetimeDays: 5, permittedDns: ["n.example"], permittedIps: [] };
    expect((await providers.SignedNodeCa.check({}, signedInputs)).failures).toEqual([]);
    const signed = await providers.SignedNodeCa.create(signedInputs);
    expect(JSON.stringify(signed.outs)).not.toContain("PRIVATE KEY");
    const caInputs = { node: "n", generation: 1, certPem: signed.outs.certPem, keyPem: request.outs.keyPem, rootsPem: root.outs.certPem };
    expect((await providers.NodeCa.check({}, caInputs)).failures).toEqual([]);
    const ca = await providers.NodeCa.create(caInputs);
    expect(ca.outs.keyPem).toBe(request.outs.keyPem);

    // A request for another key: check names it (key known) and create refuses in one line.
    const other = await providers.NodeCaRequest.create({ node: "n", generation: 1, commonName: "node CA n g1", keyType: "ec-p256" });
    const mismatched = { ...caInputs, keyPem: other.outs.keyPem };
    expect((await providers.NodeCa.check({}, mismatched)).failures).toEqual([{ property: "certPem", reason: "node CA generation 1: the signed certificate was signed for another key than this node's CA key (an older request?): sign the current request again" }]);
    const refused = await providers.NodeCa.create(mismatched).catch((err: Error) => err);
    expect((refused as Error).message).toBe("node CA generation 1: the signed certificate was signed for another key than this node's CA key (an older request?): sign the current request again");
    expect((refused as Error).stack).toBe("");
    // In a preview the key of a new request is unknown: check lets it through, create checks it.
    expect((await providers.NodeCa.check({}, { ...caInputs, keyPem: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })).failures).toEqual([]);
  });

  it("check refuses a request that is not one, naming the node and generation", async () => {
    const root = await createSelfSignedCa({ commonName: "R", keyType: "ec-p256", lifetimeDays: 1, pathLength: 1 });
    const result = await providers.SignedNodeCa.check({}, { node: "n", generation: 3, csrPem: "not a request", rootGeneration: 1, issuerCertPem: root.certPem, issuerKeyPem: root.keyPem, lifetimeDays: 5, permittedDns: [], permittedIps: [] });
    expect(result.failures).toEqual([{ property: "csrPem", reason: "node n, generation 3: is not a PEM certificate request (PKCS#10)" }]);
  });

  it("diff: a new request, a new issuing root or new name constraints re-sign; nothing else changes", async () => {
    const base = { node: "n", generation: 1, csrPem: "c", rootGeneration: 1, issuerCertPem: "r", issuerKeyPem: "k", lifetimeDays: 5, permittedDns: ["a"], permittedIps: [] };
    expect(await providers.SignedNodeCa.diff("id", base, { ...base })).toEqual({ changes: false, replaces: [] });
    expect(await providers.SignedNodeCa.diff("id", base, { ...base, issuerCertPem: "r2", rootGeneration: 2 })).toEqual({ changes: true, replaces: ["rootGeneration", "issuerCertPem"] });
    expect(await providers.SignedNodeCa.diff("id", base, { ...base, permittedDns: ["a", "b"] })).toEqual({ changes: true, replaces: ["permittedDns"] });
    const req = { node: "n", generation: 1, commonName: "N", keyType: "ec-p256" };
    expect(await providers.NodeCaRequest.diff("id", req, { ...req, generation: 2 })).toEqual({ changes: true, replaces: ["generation"] });
    const ca = { node: "n", generation: 1, certPem: "a", keyPem: "k", rootsPem: "r" };
    expect(await providers.NodeCa.diff("id", ca, { ...ca, rootsPem: "r+r2" })).toEqual({ changes: true, replaces: ["rootsPem"] });
  });
});
