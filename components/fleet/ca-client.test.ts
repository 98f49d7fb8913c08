// The fleet's X.509 work checked with openssl: a node CA request signed by an org root chains to it, name
// constraints keep a node CA to its own names, and what a node is handed is checked before it is used.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSelfSignedCa, issueServiceCertificate } from "../pki/client";
import { createCaRequest, namesOutside, nameConstraintsOf, readCaRequest, signedNodeCaProblem, signNodeCa, splitCertificates } from "./ca-client";

let dir: string;
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
function openssl(...args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) };
  } catch (err) {
    return { ok: false, out: `${(err as { stdout: string }).stdout}${(err as { stderr: string }).stderr}` };
  }
}

const A_NAMES = { dns: ["node-a.example", "localhost"], ips: ["127.0.0.0/8", "10.1.0.0/16"] };
let root: { certPem: string; keyPem: string };
let request: Awaited<ReturnType<typeof createCaRequest>>;
let nodeCa: Awaited<ReturnType<typeof signNodeCa>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "edge-unit-fleet-ca-"));
  root = await createSelfSignedCa({ commonName: "Org Root g1", keyType: "ec-p384", lifetimeDays: 30, pathLength: 1 });
  request = await createCaRequest({ commonName: "node CA node-a g1", keyType: "ec-p256" });
  nodeCa = await signNodeCa({ csrPem: request.csrPem, issuerCertPem: root.certPem, issuerKeyPem: root.keyPem, lifetimeDays: 365, nameConstraints: A_NAMES });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("node CA request and signature", () => {
  it("makes a request openssl verifies, for the key it returns", async () => {
    expect(openssl("req", "-in", file("a.csr", request.csrPem), "-noout", "-verify").ok).toBe(true);
    expect(await readCaRequest(request.csrPem)).toEqual({ commonName: "node CA node-a g1", publicKeyFingerprint: request.publicKeyFingerprint });
  });

  it("refuses a request that is not one, or whose signature does not verify", async () => {
    await expect(readCaRequest("hello")).rejects.toThrow("is not a PEM certificate request (PKCS#10)");
    // The name in the signed body changed (node-a -> node-b): the request's own signature no longer verifies.
    const der = Buffer.from(request.csrPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
    const at = der.indexOf("node-a");
    expect(at).toBeGreaterThan(0);
    der[at + 5] = "b".charCodeAt(0);
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(readCaRequest(pem)).rejects.toThrow("the certificate request's signature does not verify (damaged or altered)");
  });

  it("signs it as an intermediate (CA, pathlen 0, critical name constraints) that openssl verifies against the root", () => {
    const text = openssl("x509", "-in", file("node-ca.pem", nodeCa.certPem), "-noout", "-text").out;
    expect(text).toContain("CA:TRUE, pathlen:0");
    expect(text).toMatch(/Name Constraints: critical/);
    expect(text).toContain("DNS:node-a.example");
    expect(text).toContain("IP:10.1.0.0/255.255.0.0");
    expect(openssl("verify", "-CAfile", file("root.pem", root.certPem), file("node-ca.pem", nodeCa.certPem)).ok).toBe(true);
    expect(nameConstraintsOf(nodeCa.certPem)).toEqual(A_NAMES);
  });

  it("a node CA's certificate never outlives the root that signed it", () => {
    expect(new Date(nodeCa.notAfter).getTime()).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
  });

  it("with name constraints, a certificate for the node's names verifies and one for another node's does not", async () => {
    const issue = (dnsNames: string[], ipAddresses: string[] = []) => issueServiceCertificate({ caCertPem: nodeCa.certPem, caKeyPem: request.keyPem, commonName: "svc", dnsNames, ipAddresses, keyType: "ec-p256", lifetimeDays: 1 });
    const chain = ["-CAfile", file("root.pem", root.certPem), "-untrusted", file("node-ca.pem", nodeCa.certPem)];
    expect(openssl("verify", ...chain, file("own.pem", (await issue(["svc.node-a.example", "localhost"], ["127.0.0.1", "10.1.2.3"])).certPem)).ok).toBe(true);
    const foreign = openssl("verify", ...chain, file("foreign.pem", (await issue(["svc.node-b.example"])).certPem));
    expect(foreign.ok).toBe(false);
    expect(foreign.out).toContain("permitted subtree violation");
    expect(openssl("verify", ...chain, file("foreign-ip.pem", (await issue(["svc.node-a.example"], ["10.2.0.1"])).certPem)).ok).toBe(false);
  });

  it("without constraints, the node CA has no name constraints extension", async () => {
    const free = await signNodeCa({ csrPem: request.csrPem, issuerCertPem: root.certPem, issuerKeyPem: root.keyPem, lifetimeDays: 1 });
    expect(nameConstraintsOf(free.certPem)).toBeUndefined();
  });
});

describe("names outside a node CA's constraints", () => {
  it("follows RFC 5280: a subtree covers itself and below, a leading dot only below; IP ranges by prefix", () => {
    expect(namesOutside(A_NAMES, ["node-a.example", "x.y.node-a.example", "localhost", "evilnode-a.example", "node-b.example"], ["127.0.0.1", "10.1.255.255", "10.2.0.0"])).toEqual(["evilnode-a.example", "node-b.example", "10.2.0.0"]);
    expect(namesOutside({ dns: [".node-a.example"], ips: [] }, ["node-a.example", "s.node-a.example"], [])).toEqual(["node-a.example"]);
    expect(namesOutside({ dns: [], ips: ["fd00::/8", "192.0.2.7"] }, [], ["fd12::1", "fe80::1", "192.0.2.7", "192.0.2.8"])).toEqual(["fe80::1", "192.0.2.8"]);
    expect(namesOutside(undefined, ["anything"], ["1.2.3.4"])).toEqual([]);
  });
});

describe("checks of a signed node CA before a node uses it", () => {
  it("accepts the certificate for its key under the roots", () => {
    expect(signedNodeCaProblem(nodeCa.certPem, request.keyPem, root.certPem)).toBeUndefined();
  });

  it("names each problem in one sentence", async () => {
    const other = await createCaRequest({ commonName: "x", keyType: "ec-p256" });
    const otherRoot = await createSelfSignedCa({ commonName: "Other Root", keyType: "ec-p256", lifetimeDays: 1, pathLength: 1 });
    expect(signedNodeCaProblem(nodeCa.certPem, other.keyPem, root.certPem)).toBe("was signed for another key than this node's CA key (an older request?): sign the current request again");
    expect(signedNodeCaProblem(nodeCa.certPem, request.keyPem, otherRoot.certPem)).toBe("is not signed by any of the org's root certificates");
    expect(signedNodeCaProblem(nodeCa.certPem, request.keyPem, "")).toBe("comes without the org's root certificate");
    expect(signedNodeCaProblem("junk", request.keyPem, root.certPem)).toBe("is not a PEM X.509 certificate");
    const leaf = await issueServiceCertificate({ caCertPem: root.certPem, caKeyPem: root.keyPem, commonName: "leaf", dnsNames: ["x"], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 1 });
    expect(signedNodeCaProblem(leaf.certPem, undefined, root.certPem)).toBe("is not a CA certificate (basicConstraints CA:true is missing)");
    // Either of two roots (a root rotation's overlap) will do.
    expect(signedNodeCaProblem(nodeCa.certPem, request.keyPem, `${otherRoot.certPem}${root.certPem}`)).toBeUndefined();
    expect(splitCertificates(`${otherRoot.certPem}${root.certPem}`)).toHaveLength(2);
  });
});
