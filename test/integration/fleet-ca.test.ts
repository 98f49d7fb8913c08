// The org CA over node CAs for real: one project and backend, an org stack and node stacks typed with the real CLI
// (`pulumi up --stack org` ...), connected through StackReferences or air-gapped through a carried folder. Chains are
// checked with `openssl verify -CAfile <root> -untrusted <node CA>`; name constraints with a certificate that node
// A's CA issues for node B's name.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueServiceCertificate } from "../../components/pki/client";
import { expectOk, openssl, RunResult, TestNode } from "../support/harness";

/**
 * The resources a run changes. A StackReference is read again on every run, and the dynamic provider ("default")
 * is registered again whenever the serialized code the run carries differs: neither is a change of the stack's own.
 */
const changedNames = (r: RunResult) => [...new Set(r.steps.filter((s) => s.type !== "pulumi:pulumi:StackReference" && !s.type.startsWith("pulumi:providers:")).map((s) => s.name))].sort();

const read = (path: string) => readFileSync(path, "utf8");
const certCount = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
const issuerOf = (certPath: string) => openssl("x509", "-in", certPath, "-noout", "-issuer").trim();

/** openssl verify's output, or its error output when it refuses. */
function verify(...args: string[]): string {
  try {
    return openssl("verify", ...args);
  } catch (err) {
    return `${(err as { stdout?: string }).stdout ?? ""}${(err as { stderr?: string }).stderr ?? ""}`;
  }
}

/** A secret output of a resource, from the state decrypted with `--show-secrets`. */
function secretOutput(node: TestNode, name: string, key: string): string {
  const resources = JSON.parse(node.exportState({ showSecrets: true })).deployment.resources as { urn: string; outputs?: Record<string, any> }[];
  const found = resources.find((r) => r.urn.endsWith(`::${name}`));
  const value = found?.outputs?.[key];
  if (value === undefined) throw new Error(`no output ${key} of ${name}`);
  return typeof value === "string" ? value : JSON.parse(value.plaintext);
}

const allOutput = (r: RunResult) => `${r.stdout}\n${r.stderr}`;
/** The entries every stack's first run makes, whatever its program does. */
const NOT_THE_NODES = ["pulumi:pulumi:Stack", "pulumi:providers:pulumi"];

describe("org CA over node CAs", { timeout: 1_200_000 }, () => {
  const org = new TestNode("org");
  const nodeA = new TestNode("node-a", org);
  const nodeB = new TestNode("node-b", org);
  const nodeC = new TestNode("node-c", org);
  const exchangeDir = join(org.root, "carried");
  const pem = (name: string, content: string) => {
    const path = join(org.root, name);
    writeFileSync(path, content);
    return path;
  };
  const NODES = [
    { name: "node-a", stack: "node-a", permittedDns: ["node-a.example", "localhost"], permittedIps: ["127.0.0.0/8"] },
    { name: "node-b", stack: "node-b", permittedDns: ["node-b.example", "localhost"], permittedIps: ["127.0.0.0/8"] },
    { name: "node-c", exchangeDir, permittedDns: ["node-c.example", "localhost"], permittedIps: ["127.0.0.0/8"] },
  ];
  const orgConfig = (root: Record<string, unknown> = {}, nodes = NODES) => ({ role: "org", org: { root, nodes } });
  const nodeConfig = (name: string, ca: Record<string, unknown> = {}) => ({
    pki: { ca: { source: "org", org: name === "node-c" ? { exchangeDir } : { stack: "org" }, ...ca } },
    services: [{ name: "svc", hostnames: [`svc.${name}.example`] }],
  });
  const svcCert = (node: TestNode) => join(node.secretsRoot, "svc", "cert.pem");
  const svcBundle = (node: TestNode) => join(node.secretsRoot, "svc", "ca.pem");

  beforeAll(async () => {
    // The org first (its roots), listing only the air-gapped node: a connected node is listed once its stack exists.
    org.configure(orgConfig({}, NODES.slice(2)));
    const first = expectOk(await org.cli("up"));
    expect(allOutput(first)).toContain(`node node-c: no CA request in ${exchangeDir} yet`);
    for (const node of [nodeA, nodeB]) node.configure(nodeConfig(node.stack));
    nodeC.configure(nodeConfig("node-c"));
  }, 600_000);
  afterAll(() => {
    for (const node of [nodeA, nodeB, nodeC, org]) node.cleanup();
  });

  it("connected to an org stack that does not exist: one line naming the key and what to do, nothing of the node made", async () => {
    const lost = new TestNode("node-lost", org);
    try {
      lost.configure({ pki: { ca: { source: "org", org: { stack: "no-such-org" } } }, services: [{ name: "svc" }] });
      for (const command of ["preview", "up"] as const) {
        const result = await lost.cli(command);
        expect(result.status, allOutput(result)).not.toBe(0);
        expect(allOutput(result)).toContain(
          'edge-security:pki.ca.org.stack: the org stack "no-such-org" does not exist in this backend: run the org stack first (`pulumi up --stack no-such-org`, a stack with edge-security:role: org), or carry the request through the air-gapped exchange folder instead (pki.ca.org.exchangeDir)',
        );
        // Not the engine's raw read failure on the StackReference, and no step beyond the stack itself and the
        // built-in provider's entry (the one a StackReference's read registers too: no new entry for a connected node).
        expect(allOutput(result)).not.toContain("pulumi:pulumi:StackReference");
        expect(result.steps.filter((s) => !NOT_THE_NODES.includes(s.type))).toEqual([]);
      }
      const resources = (JSON.parse(lost.exportState()).deployment.resources ?? []) as { type: string }[];
      expect(resources.filter((r) => !NOT_THE_NODES.includes(r.type))).toEqual([]);
    } finally {
      lost.cleanup();
    }
  });

  it("connected: the node publishes its request, the org signs it, the node's services chain to the org root", async () => {
    const first = expectOk(await nodeA.cli("up"));
    expect(allOutput(first)).toContain("node CA generation 1 of node node-a is not signed yet: run `pulumi up --stack org`");
    expect(existsSync(svcCert(nodeA))).toBe(false);
    expect(nodeA.outputs().nodeCaRequests.g1).toContain("BEGIN CERTIFICATE REQUEST");
    expectOk(await nodeB.cli("up"));

    org.configure(orgConfig());
    const signing = expectOk(await org.cli("preview"));
    expect(changedNames(signing)).toEqual(["org-node-a-g1", "org-node-b-g1"]);
    expectOk(await org.cli("up"));
    const { roots, nodeCas } = org.outputs();
    expect(certCount(roots)).toBe(1);

    expectOk(await nodeA.cli("up"));
    expectOk(await nodeB.cli("up"));
    const rootFile = pem("root.pem", roots);
    const nodeCaA = pem("node-a-ca.pem", nodeCas["node-a"].g1);
    expect(verify("-CAfile", rootFile, "-untrusted", nodeCaA, svcCert(nodeA))).toContain(": OK");
    expect(verify("-CAfile", svcBundle(nodeA), svcCert(nodeA))).toContain(": OK");
    expect(verify("-CAfile", rootFile, "-untrusted", pem("node-b-ca.pem", nodeCas["node-b"].g1), svcCert(nodeB))).toContain(": OK");
    // The service's bundle carries its node CA and the root; the node CA chains to the root alone.
    expect(certCount(read(svcBundle(nodeA)))).toBe(2);
    expect(verify("-CAfile", rootFile, nodeCaA)).toContain(": OK");

    // Converged: a second preview of each stack changes nothing.
    expect(changedNames(expectOk(await nodeA.cli("preview")))).toEqual([]);
    expect(changedNames(expectOk(await org.cli("preview")))).toEqual([]);
  });

  it("keeps each CA key in its own stack: the root's never reaches a node, a node CA's never reaches the org", async () => {
    const rootKey = secretOutput(org, "org-root-g1", "keyPem");
    const nodeKey = secretOutput(nodeA, "node-ca-g1", "keyPem");
    expect(rootKey).toContain("PRIVATE KEY");
    expect(nodeKey).toContain("PRIVATE KEY");
    const body = (key: string) => key.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
    expect(nodeA.exportState({ showSecrets: true }).replace(/\\n|\s/g, "")).not.toContain(body(rootKey));
    expect(org.exportState({ showSecrets: true }).replace(/\\n|\s/g, "")).not.toContain(body(nodeKey));
    // Encrypted where they are kept.
    expect(org.exportState()).not.toContain("PRIVATE KEY");
    expect(nodeA.exportState()).not.toContain("PRIVATE KEY");
  });

  it("name constraints: a certificate node A's CA issues for node B's name fails openssl verify", async () => {
    const { roots, nodeCas } = org.outputs();
    const caCertPem = nodeCas["node-a"].g1;
    const caKeyPem = secretOutput(nodeA, "node-ca-g1", "keyPem");
    const issue = (dnsName: string) => issueServiceCertificate({ caCertPem, caKeyPem, commonName: "x", dnsNames: [dnsName], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 1 });
    const rootFile = pem("root.pem", roots);
    const nodeCaA = pem("node-a-ca.pem", caCertPem);
    const own = pem("own.pem", (await issue("other.node-a.example")).certPem);
    const foreign = pem("foreign.pem", (await issue("svc.node-b.example")).certPem);
    expect(verify("-CAfile", rootFile, "-untrusted", nodeCaA, own)).toContain(": OK");
    const refused = verify("-CAfile", rootFile, "-untrusted", nodeCaA, foreign);
    expect(refused).not.toContain(": OK");
    expect(refused).toContain("permitted subtree violation");

    // And the node stack refuses, in one line before anything changes, a service outside its CA's names.
    nodeA.configure({ ...nodeConfig("node-a"), services: [{ name: "svc", hostnames: ["svc.node-b.example"] }] });
    const result = await nodeA.cli("preview");
    expect(result.status).not.toBe(0);
    expect(allOutput(result)).toContain("edge-security:services[0]: svc.node-b.example is outside the names the org permits node node-a's CA (its name constraints)");
    nodeA.configure(nodeConfig("node-a"));
  });

  it("air-gapped: the node writes a request file, the org signs it into a certificate file, the node imports it", async () => {
    const csrFile = join(exchangeDir, "node-c.g1.csr.pem");
    const certFile = join(exchangeDir, "node-c.g1.crt.pem");
    const first = expectOk(await nodeC.cli("up"));
    expect(allOutput(first)).toContain(`carry ${csrFile} to the org machine's ${exchangeDir}, run \`pulumi up --stack org\` there, bring back ${certFile}, then \`up\` here again`);
    expect(openssl("req", "-in", csrFile, "-noout", "-verify", "-subject")).toContain("node-c g1");

    const preview = expectOk(await org.cli("preview"));
    expect(changedNames(preview)).toEqual(["org-node-c-g1", "org-node-c-g1-cert-file"]);
    expect(existsSync(certFile)).toBe(false);
    expectOk(await org.cli("up"));
    expect(certCount(read(certFile))).toBe(2); // the node CA, then the root

    const importing = expectOk(await nodeC.cli("preview"));
    expect(changedNames(importing)).toContain("pki-ca-g1");
    expectOk(await nodeC.cli("up"));
    const rootFile = pem("root.pem", org.outputs().roots);
    const nodeCaC = pem("node-c-ca.pem", read(certFile).split(/(?<=-----END CERTIFICATE-----\n)/)[0]);
    expect(verify("-CAfile", rootFile, "-untrusted", nodeCaC, svcCert(nodeC))).toContain(": OK");
    expect(verify("-CAfile", svcBundle(nodeC), svcCert(nodeC))).toContain(": OK");
  });

  it("rotates node A's CA with overlap: the new CA joins the bundle, services are reissued, the old CA leaves", async () => {
    const step = async (ca: Record<string, unknown>) => {
      nodeA.configure(nodeConfig("node-a", ca));
      const preview = expectOk(await nodeA.cli("preview"));
      expectOk(await nodeA.cli("up"));
      return preview;
    };
    // 1. Generation 2 is requested and signed; it joins the trust bundle while generation 1 still issues.
    const request = await step({ generation: 1, trusted: [1, 2] });
    expect(changedNames(request)).toEqual(["node-ca-g2"]);
    expectOk(await org.cli("up"));
    const join2 = await step({ generation: 1, trusted: [1, 2] });
    expect(changedNames(join2)).toEqual(expect.arrayContaining(["pki-ca-g2", "svc-cert", "pki-ca-cert"]));
    expect(certCount(read(svcBundle(nodeA)))).toBe(3);
    expect(issuerOf(svcCert(nodeA))).toContain("node-a g1");
    // 2. Generation 2 issues: the services are reissued; both node CAs still in the bundle.
    const reissue = await step({ generation: 2, trusted: [1, 2] });
    expect(changedNames(reissue)).toContain("svc-cert");
    expect(issuerOf(svcCert(nodeA))).toContain("node-a g2");
    expect(certCount(read(svcBundle(nodeA)))).toBe(3);
    expect(verify("-CAfile", svcBundle(nodeA), svcCert(nodeA))).toContain(": OK");
    // 3. Generation 1 leaves: its key and CA go, the bundle holds generation 2 and the root.
    const retire = await step({ generation: 2, trusted: [2] });
    expect(retire.steps.filter((s) => s.op === "delete").map((s) => s.name)).toEqual(expect.arrayContaining(["node-ca-g1", "pki-ca-g1"]));
    expect(certCount(read(svcBundle(nodeA)))).toBe(2);
    const { roots, nodeCas } = (expectOk(await org.cli("up")), org.outputs());
    expect(Object.keys(nodeCas["node-a"])).toEqual(["g2"]);
    expect(verify("-CAfile", pem("root.pem", roots), "-untrusted", pem("node-a-ca.pem", nodeCas["node-a"].g2), svcCert(nodeA))).toContain(": OK");
  });

  it("rotates the root with overlap across the fleet: new root in every bundle, node CAs re-signed, old root leaves", async () => {
    const oldRoot = pem("old-root.pem", org.outputs().roots);
    const fleetUp = async () => {
      for (const node of [nodeA, nodeB]) expectOk(await node.cli("up"));
    };
    // 1. Root generation 2 joins: every node's bundle carries both roots; nothing is re-signed yet.
    org.configure(orgConfig({ generation: 1, trusted: [1, 2] }));
    expect(changedNames(expectOk(await org.cli("preview")))).toEqual(["org-node-c-g1-cert-file", "org-root-g2"]);
    expectOk(await org.cli("up"));
    await fleetUp();
    expect(read(svcBundle(nodeB))).toContain(read(oldRoot).trim());
    expect(certCount(read(svcBundle(nodeB)))).toBe(3);
    // 2. Root generation 2 issues: the org re-signs every node CA; the nodes take their new certificates.
    org.configure(orgConfig({ generation: 2, trusted: [1, 2] }));
    expect(changedNames(expectOk(await org.cli("preview")))).toEqual(expect.arrayContaining(["org-node-a-g2", "org-node-b-g1", "org-node-c-g1"]));
    expectOk(await org.cli("up"));
    await fleetUp();
    // 3. Root generation 1 leaves.
    org.configure(orgConfig({ generation: 2, trusted: [2] }));
    expectOk(await org.cli("up"));
    await fleetUp();
    const { roots, nodeCas } = org.outputs();
    expect(certCount(roots)).toBe(1);
    const newRoot = pem("new-root.pem", roots);
    expect(verify("-CAfile", newRoot, "-untrusted", pem("node-b-ca.pem", nodeCas["node-b"].g1), svcCert(nodeB))).toContain(": OK");
    expect(verify("-CAfile", oldRoot, "-untrusted", pem("node-b-ca.pem", nodeCas["node-b"].g1), svcCert(nodeB))).not.toContain(": OK");
    expect(read(svcBundle(nodeB))).not.toContain(read(oldRoot).trim());
    expect(verify("-CAfile", svcBundle(nodeA), svcCert(nodeA))).toContain(": OK");
  });
});
