// The fleet's config: the org stack's and the node's link to it, with one-line errors naming the key, and
// defaults that leave a node without an org exactly as it was.
import { describe, expect, it } from "vitest";
import { ConfigError, parseNodeConfig } from "../node-config";
import { hasOrgRole, OrgConfigError, parseOrgConfig, trustedGenerations } from "./config";

const orgError = (raw: unknown): string => {
  try {
    parseOrgConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(OrgConfigError);
    return (err as Error).message;
  }
  throw new Error("no error");
};
const nodeError = (ca: unknown): string => {
  try {
    parseNodeConfig({ pki: { ca }, services: [{ name: "a" }] });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("no error");
};

describe("org config", () => {
  it("defaults: one root generation, no nodes", () => {
    const org = parseOrgConfig(undefined);
    expect(org.root).toEqual({ commonName: "edge-security org root", keyType: "ec-p384", lifetimeDays: 7300, generation: 1 });
    expect(org.nodeCaLifetimeDays).toBe(1825);
    expect(org.nodes).toEqual([]);
    expect(trustedGenerations(org.root)).toEqual([1]);
  });

  it("takes connected and air-gapped nodes with their name constraints", () => {
    const org = parseOrgConfig({ nodes: [{ name: "a", stack: "node-a", permittedDns: ["a.example", ".b.example"], permittedIps: ["10.0.0.0/8", "fd00::/8", "192.0.2.1"] }, { name: "c", exchangeDir: "/media/usb" }] });
    expect(org.nodes.map((n) => n.name)).toEqual(["a", "c"]);
    expect(org.nodes[1].permittedDns).toEqual([]);
  });

  it("refuses bad input in one line naming the key", () => {
    expect(orgError({ nodes: [{ name: "a" }] })).toBe("edge-security:org.nodes[0]: needs exactly one of stack (connected) or exchangeDir (air-gapped)");
    expect(orgError({ nodes: [{ name: "a", stack: "s", exchangeDir: "/x" }] })).toBe("edge-security:org.nodes[0]: needs exactly one of stack (connected) or exchangeDir (air-gapped)");
    expect(orgError({ nodes: [{ name: "a", exchangeDir: "rel" }] })).toBe('edge-security:org.nodes[0].exchangeDir: "rel" must be an absolute path');
    expect(orgError({ nodes: [{ name: "a", stack: "s", permittedIps: ["10.0.0.0/33"] }] })).toBe('edge-security:org.nodes[0].permittedIps[0]: "10.0.0.0/33" is not an IP address or range (CIDR)');
    expect(orgError({ nodes: [{ name: "a", stack: "s", permittedDns: ["bad_name"] }] })).toBe('edge-security:org.nodes[0].permittedDns[0]: "bad_name" is not a DNS name or subtree (.example.com)');
    expect(orgError({ nodes: [{ name: "a", stack: "s" }, { name: "a", stack: "t" }] })).toBe('edge-security:org.nodes[1].name: duplicate node name "a"');
    expect(orgError({ root: { generation: 2, trusted: [1] } })).toBe("edge-security:org.root.trusted: must include the issuing generation 2");
    expect(orgError({ root: { keyType: "rsa-1024" } })).toMatch(/^edge-security:org.root.keyType: must be one of /);
    expect(orgError({ rooot: {} })).toBe("edge-security:org.rooot: is not a known setting");
  });

  it("orders generations: the issuing one first, then the others", () => {
    expect(trustedGenerations({ generation: 2, trusted: [3, 1, 2] })).toEqual([2, 1, 3]);
  });
});

describe("node link to the org", () => {
  it("leaves a node without an org as it was: self-signed, generation 1, no link", () => {
    const ca = parseNodeConfig({ services: [{ name: "a" }] }).ca;
    expect(ca).toMatchObject({ source: "self-signed" });
    expect(ca.generation).toBeUndefined();
    expect(ca.org).toBeUndefined();
    expect(ca.trusted).toBeUndefined();
  });

  it("takes an org-signed CA, connected or air-gapped, and a self-signed node asking for one ahead of the switch", () => {
    expect(parseNodeConfig({ pki: { ca: { source: "org", org: { stack: "org" }, generation: 2, trusted: [1, 2] } }, services: [{ name: "a" }] }).ca.org).toEqual({ stack: "org" });
    expect(parseNodeConfig({ pki: { ca: { source: "org", org: { exchangeDir: "/media/usb", node: "n1" } } }, services: [{ name: "a" }] }).ca.org).toEqual({ exchangeDir: "/media/usb", node: "n1" });
    expect(parseNodeConfig({ pki: { ca: { org: { stack: "org" } } }, services: [{ name: "a" }] }).ca.source).toBe("self-signed");
  });

  it("refuses bad input in one line naming the key", () => {
    expect(nodeError({ source: "org" })).toBe('edge-security:pki.ca.org: is required when pki.ca.source is "org" (stack for a connected node, exchangeDir for an air-gapped one)');
    expect(nodeError({ source: "org", org: {} })).toBe("edge-security:pki.ca.org: needs exactly one of stack (connected) or exchangeDir (air-gapped)");
    expect(nodeError({ source: "org", org: { stack: "org" }, generation: 2, trusted: [1] })).toBe("edge-security:pki.ca.trusted: must include the issuing generation 2");
    expect(nodeError({ source: "org", org: { stack: "org" }, trusted: [1, 1] })).toBe("edge-security:pki.ca.trusted: lists a generation twice");
    expect(nodeError({ generation: 2 })).toBe('edge-security:pki.ca.generation: applies to a node CA signed by the org (pki.ca.source "org") only');
    expect(nodeError({ source: "org", org: { stack: "org" }, generation: 0 })).toBe("edge-security:pki.ca.generation: must be 1 or more");
  });
});

describe("hasOrgRole", () => {
  it("tells an org stack's config file from a node's, and names a file that is not YAML in one line", () => {
    expect(hasOrgRole("config:\n  edge-security:role: org\n", "Pulumi.org.yaml")).toBe(true);
    expect(hasOrgRole("config:\n  edge-security:role: node\n", "Pulumi.a.yaml")).toBe(false);
    expect(hasOrgRole("config:\n  edge-security:services: []\n", "Pulumi.b.yaml")).toBe(false);
    expect(hasOrgRole("", "Pulumi.empty.yaml")).toBe(false);
    expect(() => hasOrgRole("config: [\n", "stacks/Pulumi.bad.yaml")).toThrow(/^stacks\/Pulumi\.bad\.yaml: not valid YAML \([^\n]*\)$/);
  });
});
