// The node's side of the org CA against Pulumi mocks and real files: what the program reads from an air-gapped
// node's carried folder, the one-line messages while a generation is unsigned, and the PKI an org-signed node
// builds (one NodeCa per signed generation, the issuing one signing the services, the bundle carrying all of them
// and the roots).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNodeConfig } from "../node-config";
import { createSelfSignedCa } from "../pki/client";
import { createCaRequest, signNodeCa } from "./ca-client";
import { awaitingSignatureMessage, OrgStackMissingError, readOrgSignatures, requireOrgStack, servicesOutsideConstraints } from "./node-link";

let dir: string;
let root: { certPem: string; keyPem: string };
let g1: { certPem: string; keyPem: string };
let g2: { certPem: string; keyPem: string };

async function nodeCa(gen: number) {
  const request = await createCaRequest({ commonName: `node CA n g${gen}`, keyType: "ec-p256" });
  const signed = await signNodeCa({ csrPem: request.csrPem, issuerCertPem: root.certPem, issuerKeyPem: root.keyPem, lifetimeDays: 5, nameConstraints: { dns: ["n.example", "localhost"], ips: ["127.0.0.0/8"] } });
  return { certPem: signed.certPem, keyPem: request.keyPem };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "edge-unit-node-link-"));
  root = await createSelfSignedCa({ commonName: "Org Root g1", keyType: "ec-p256", lifetimeDays: 10, pathLength: 1 });
  g1 = await nodeCa(1);
  g2 = await nodeCa(2);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ca = (extra: Record<string, unknown>) => parseNodeConfig({ pki: { ca: { source: "org", org: { exchangeDir: dir, node: "n" }, ...extra } }, services: [{ name: "svc", hostnames: ["svc.n.example"] }] }).ca;

describe("air-gapped: what the node reads from the carried folder", () => {
  it("finds the signed generations (node CA first, roots after) and leaves the others out", async () => {
    writeFileSync(join(dir, "n.g1.crt.pem"), `${g1.certPem}${root.certPem}`);
    const found = await readOrgSignatures(ca({ generation: 1, trusted: [1, 2] }), "stack-name");
    expect(found.node).toBe("n");
    expect(found.generations).toEqual([1, 2]);
    expect(Object.keys(found.signed)).toEqual(["1"]);
    expect(found.signed[1].trim()).toBe(g1.certPem.trim());
    expect(found.rootsPem?.trim()).toBe(root.certPem.trim());
  });

  it("tells the operator what to carry where while a generation is unsigned", () => {
    expect(awaitingSignatureMessage(ca({ generation: 2, trusted: [1, 2] }), "n", 2)).toBe(
      `node CA generation 2 of node n is not signed yet: carry ${dir}/n.g2.csr.pem to the org machine's ${dir}, run \`pulumi up --stack org\` there, bring back ${dir}/n.g2.crt.pem, then \`up\` here again`,
    );
    const connected = parseNodeConfig({ pki: { ca: { source: "org", org: { stack: "acme/edge-security/org" } } }, services: [{ name: "a" }] }).ca;
    expect(awaitingSignatureMessage(connected, "node-7", 1)).toBe("node CA generation 1 of node node-7 is not signed yet: run `pulumi up --stack acme/edge-security/org` (the org stack, listing node node-7), then `up` here again");
  });

  it("names the services outside the node CA's constraints", () => {
    expect(servicesOutsideConstraints(g1.certPem, [{ dnsNames: ["svc.n.example", "localhost"], ipAddresses: ["127.0.0.1"] }, { dnsNames: ["svc.m.example"], ipAddresses: ["10.0.0.1"] }])).toEqual([[1, ["svc.m.example", "10.0.0.1"]]]);
  });
});

describe("connected: the org stack must exist", () => {
  it("turns the engine's unknown stack into one line saying what to do, and passes any other error on", async () => {
    // The builtin readStackOutputs invoke's error for a stack the backend does not hold (seen with the real CLI in
    // test/integration/fleet-ca.test.ts).
    const missing = requireOrgStack("acme-org", async () => {
      throw new Error('unknown stack "acme-org"');
    });
    await expect(missing).rejects.toBeInstanceOf(OrgStackMissingError);
    await expect(missing).rejects.toThrow(
      'the org stack "acme-org" does not exist in this backend: run the org stack first (`pulumi up --stack acme-org`, a stack with edge-security:role: org), or carry the request through the air-gapped exchange folder instead (pki.ca.org.exchangeDir)',
    );
    const other = new Error("failed to decrypt");
    await expect(requireOrgStack("org", async () => Promise.reject(other))).rejects.toBe(other);
    await expect(requireOrgStack("org", async () => ({ outputs: {} }))).resolves.toBeUndefined();
  });
});

describe("the PKI of an org-signed node (mocks)", () => {
  it("builds one NodeCa per signed generation; the issuing one signs; the bundle carries both CAs and the roots", async () => {
    const registered: { type: string; name: string; inputs: Record<string, any> }[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const keyPem = args.inputs.generation === 2 ? g2.keyPem : g1.keyPem;
          return { id: `${args.name}_id`, state: { ...args.inputs, keyPem: args.inputs.keyPem ?? keyPem, csrPem: "csr", serialNumber: "1", path: args.inputs.path } };
        },
        call: (args) => args.inputs,
      },
      "edge-security",
      "unit",
      false,
    );
    const { NodeCaRequests } = await import("./node-link");
    const { Pki } = await import("../pki/component");
    const config = parseNodeConfig({ secretsRoot: "/run/edge-test/secrets", pki: { ca: { source: "org", org: { stack: "org" }, generation: 2, trusted: [1, 2] } }, services: [{ name: "svc", hostnames: ["svc.n.example"] }] });
    const requests = new NodeCaRequests("node-ca", { ca: config.ca, node: "n" });
    const pki = new Pki("pki", { secretsRoot: config.secretsRoot, ca: config.ca, services: config.services, org: { requests, signatures: { node: "n", generations: [2, 1], signed: { 1: g1.certPem, 2: g2.certPem }, rootsPem: root.certPem } } });
    const bundle = await new Promise<string>((resolve) => pki.ca.trustBundlePem.apply(resolve));
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    const types = registered.map((r) => `${r.type.split(":").pop()} ${r.name}`).sort();
    expect(types).toEqual(expect.arrayContaining(["NodeCaRequest node-ca-g1", "NodeCaRequest node-ca-g2", "NodeCa pki-ca-g1", "NodeCa pki-ca-g2", "ServiceCertificate svc-cert", "PlainFile pki-ca-cert"]));
    expect(types.some((t) => t.startsWith("CertificateAuthority"))).toBe(false);
    const svc = registered.find((r) => r.name === "svc-cert")!;
    expect(svc.inputs.caCertPem).toBe(g2.certPem);
    expect(svc.inputs.caKeyPem).toBe(g2.keyPem);
    // Issuing generation first, then the overlapping one, then the roots.
    expect(bundle).toBe(`${g2.certPem.trim()}\n${g1.certPem.trim()}\n${root.certPem.trim()}\n`);
  });
});
