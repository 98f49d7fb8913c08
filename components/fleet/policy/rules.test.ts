// The policy pack's rules, called with crafted resources (each refuses a violating one with its message), the
// policies as @pulumi/policy calls them, and every resource of the example stacks' graphs (Pulumi mocks): none
// of them is refused. The CLI runs of the pack are in test/integration/policy.test.ts.
import "reflect-metadata"; // @peculiar/x509 needs it loaded first
import { webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as x509 from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { knownValues, policies } from "./policies";
import * as rules from "./rules";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ROOT = resolve(__dirname, "../../..");
const noTags = new Map<string, string>();
const resource = (type: string, props: Record<string, any>, more: Partial<rules.ResourceView> = {}): rules.ResourceView => ({
  type,
  name: "r",
  props,
  additionalSecretOutputs: [],
  stackTags: noTags,
  ...more,
});

/** A self-signed CA certificate with the given key algorithm and lifetime. */
async function certificate(algorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams, days = 365): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(algorithm as any, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=test CA",
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * 86_400_000),
    keys,
    signingAlgorithm: algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : algorithm,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return cert.toString("pem");
}
const RSA = (bits: number): webcrypto.RsaHashedKeyGenParams => ({ name: "RSASSA-PKCS1-v1_5", modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" });

describe("no DEV_MODE in a production stack", () => {
  const keys = (on: string) => resource(rules.TYPES.etcdKeys, { defaults: { "/eii/GlobalEnv/DEV_MODE": on, "/eii/GlobalEnv/X": "1" } }, { name: "config-store-globalenv" });
  const MESSAGE =
    "config-store-globalenv: DEV_MODE is on (configStore.devMode: true) in a production stack (stack tag edge-security:production=true or policy config production: true); set configStore.devMode: false";

  it("refuses DEV_MODE when the policy config says production", () => {
    expect(rules.devModeViolations(keys("true"), { production: true })).toEqual([MESSAGE]);
  });
  it("refuses DEV_MODE when the stack is tagged production", () => {
    expect(rules.devModeViolations({ ...keys("true"), stackTags: new Map([[rules.PRODUCTION_TAG, "true"]]) }, {})).toEqual([MESSAGE]);
  });
  it("passes DEV_MODE off in production, and DEV_MODE on a stack not marked production", () => {
    expect(rules.devModeViolations(keys("false"), { production: true })).toEqual([]);
    expect(rules.devModeViolations(keys("true"), {})).toEqual([]);
    expect(rules.devModeViolations({ ...keys("true"), stackTags: new Map([[rules.PRODUCTION_TAG, "false"]]) }, { production: false })).toEqual([]);
  });
});

describe("no weak keys", () => {
  it("refuses a key type under the minimum, and passes the PKI's own key types", () => {
    expect(rules.weakKeyViolations(resource(rules.TYPES.serviceCert, { keyType: "rsa-2048" }))).toEqual([
      "r: key type rsa-2048 is an RSA key under 3072 bits; use ec-p256, ec-p384 or rsa-3072 (or stronger)",
    ]);
    expect(rules.weakKeyViolations(resource(rules.TYPES.ca, { keyType: "ec-p224" }))).toEqual(["r: key type ec-p224 is an EC curve under P-256; use ec-p256, ec-p384 or rsa-3072 (or stronger)"]);
    for (const keyType of ["ec-p256", "ec-p384", "rsa-3072", "rsa-4096"]) expect(rules.weakKeyViolations(resource(rules.TYPES.serviceCert, { keyType }))).toEqual([]);
  });

  it("refuses an imported CA whose certificate has an RSA key under 3072 bits", { timeout: 60_000 }, async () => {
    const pem = await certificate(RSA(2048));
    expect(rules.weakKeyViolations(resource(rules.TYPES.ca, { source: "import", importedCertPem: pem }, { name: "pki-ca" }))).toEqual([
      'pki-ca: certificate "CN=test CA" has an RSA key of 2048 bits (minimum 3072); use ec-p256, ec-p384 or rsa-3072 (or stronger)',
    ]);
    // A service certificate that chains to it is refused too (its caCertPem).
    expect(rules.weakKeyViolations(resource(rules.TYPES.serviceCert, { keyType: "ec-p256", caCertPem: pem }))).toHaveLength(1);
  });

  it("passes certificates with RSA 3072 and EC P-256 keys", { timeout: 60_000 }, async () => {
    const pems = [await certificate(RSA(3072)), await certificate({ name: "ECDSA", namedCurve: "P-256" })];
    expect(rules.weakKeyViolations(resource(rules.TYPES.ca, { source: "import", importedCertPem: pems[0], importedChainPem: pems[1] }))).toEqual([]);
  });

  it("ignores other resource types", () => {
    expect(rules.weakKeyViolations(resource(rules.dynamicType("PlainFile"), { keyType: "rsa-1024" }))).toEqual([]);
  });
});

describe("certificate lifetime", () => {
  it("refuses a service certificate over the default maximum (398 days) and over a configured one", () => {
    expect(rules.lifetimeViolations(resource(rules.TYPES.serviceCert, { lifetimeDays: 400 }, { name: "svc-a-cert" }), {})).toEqual([
      "svc-a-cert: service certificate lifetime of 400 days is over the maximum of 398 days (policy config maxServiceLifetimeDays)",
    ]);
    expect(rules.lifetimeViolations(resource(rules.TYPES.serviceCert, { lifetimeDays: 365 }), { maxServiceLifetimeDays: 90 })).toEqual([
      "r: service certificate lifetime of 365 days is over the maximum of 90 days (policy config maxServiceLifetimeDays)",
    ]);
    expect(rules.lifetimeViolations(resource(rules.TYPES.serviceCert, { lifetimeDays: 398 }), {})).toEqual([]);
  });

  it("refuses a CA over its maximum (default 3650 days)", () => {
    expect(rules.lifetimeViolations(resource(rules.TYPES.ca, { source: "self-signed", lifetimeDays: 7300 }), {})).toEqual([
      "r: CA certificate lifetime of 7300 days is over the maximum of 3650 days (policy config maxCaLifetimeDays)",
    ]);
    expect(rules.lifetimeViolations(resource(rules.TYPES.ca, { source: "self-signed", lifetimeDays: 3650 }), {})).toEqual([]);
  });

  it("measures an imported CA by its certificate, not by lifetimeDays", { timeout: 60_000 }, async () => {
    const pem = await certificate({ name: "ECDSA", namedCurve: "P-256" }, 5000);
    expect(rules.lifetimeViolations(resource(rules.TYPES.ca, { source: "import", lifetimeDays: 10, importedCertPem: pem }), {})).toEqual([
      "r: imported CA certificate lifetime of 5000 days is over the maximum of 3650 days (policy config maxCaLifetimeDays)",
    ]);
  });
});

describe("secret-bearing outputs are secrets", () => {
  it("refuses a resource whose known secret output is not marked secret", () => {
    expect(rules.secretOutputViolations(resource(rules.TYPES.ca, { keyType: "ec-p256" }, { name: "pki-ca" }))).toEqual([
      "pki-ca: output keyPem carries a secret but is not marked secret (additionalSecretOutputs)",
    ]);
    expect(rules.secretOutputViolations(resource(rules.dynamicType("ServiceSecretToken"), {}, { additionalSecretOutputs: ["unsealKeys"] }))).toEqual([
      "r: outputs token, tokenFileContent carry a secret but are not marked secret (additionalSecretOutputs)",
    ]);
  });

  it("refuses a secret-looking input of any dynamic resource (echoed in its outputs) that is not marked", () => {
    expect(rules.secretOutputViolations(resource(rules.dynamicType("NewThing"), { adminPassword: "x", passwordPath: "/p", tokenTtlSeconds: 60, __provider: "code" }))).toEqual([
      "r: output adminPassword carries a secret but is not marked secret (additionalSecretOutputs)",
    ]);
  });

  it("passes marked outputs and the secret inputs a provider strips from its outputs", () => {
    expect(rules.secretOutputViolations(resource(rules.TYPES.ca, { importedKeyPem: "k" }, { additionalSecretOutputs: ["keyPem"] }))).toEqual([]);
    expect(rules.secretOutputViolations(resource(rules.TYPES.serviceCert, { caKeyPem: "k", keyType: "ec-p256", keyPath: "/k" }))).toEqual([]);
    expect(rules.secretOutputViolations(resource("docker:index/container:Container", { password: "x" }))).toEqual([]);
  });
});

describe("gateway routes authenticated unless marked public", () => {
  const kong = (auth: unknown, name = "core-data") => resource(rules.TYPES.kongRoute, { name, auth }, { name: `route-${name}` });
  const nginx = (routes: unknown[]) => resource(rules.TYPES.nginxSite, { site: { routes } }, { name: "nginx-site" });

  it("refuses a Kong route without jwt or oauth2 (and not public)", () => {
    expect(rules.routeViolations(kong("basic-auth"), {})).toEqual(['route-core-data: route "core-data" has auth "basic-auth"; a route must use jwt or oauth2 unless it is marked public']);
    expect(rules.routeViolations(kong("jwt"), {})).toEqual([]);
    expect(rules.routeViolations(kong("oauth2"), {})).toEqual([]);
  });

  it("passes routes marked public, unless the policy pins the public routes and the route is not one", () => {
    expect(rules.routeViolations(kong("none", "ping"), {})).toEqual([]);
    expect(rules.routeViolations(kong("none", "ping"), { publicRoutes: ["ping"] })).toEqual([]);
    expect(rules.routeViolations(kong("none", "core-data"), { publicRoutes: ["ping"] })).toEqual(['route-core-data: route "core-data" is public but not in the policy\'s publicRoutes (ping)']);
    expect(rules.routeViolations(nginx([{ name: "a", public: false }, { name: "b", public: true }]), { publicRoutes: [] })).toEqual([
      'nginx-site: route "b" is public but not in the policy\'s publicRoutes (none)',
    ]);
  });

  it("refuses an NGINX route whose public flag is not a boolean", () => {
    expect(rules.routeViolations(nginx([{ name: "a", public: "yes" }]), {})).toEqual(['nginx-site: route "a" has public: "yes"; it must be true or false']);
    expect(rules.routeViolations(nginx([{ name: "a", public: false }, { name: "b", public: true }]), {})).toEqual([]);
  });
});

describe("the policies as @pulumi/policy runs them", () => {
  /** Calls one policy's validateResource the way @pulumi/policy does; resolves to the violations reported. */
  async function validate(policyName: string, type: string, props: Record<string, any>, config: Record<string, unknown> = {}, more: { additionalSecretOutputs?: string[]; stackTags?: Map<string, string> } = {}) {
    const policy = policies.find((p) => p.name === policyName)!;
    const reported: string[] = [];
    const validations = [policy.validateResource!].flat();
    for (const v of validations) {
      await v(
        { type, name: "r", urn: `urn:pulumi:s::p::${type}::r`, props, opts: { additionalSecretOutputs: more.additionalSecretOutputs ?? [] } as any, stackTags: more.stackTags ?? new Map(), getConfig: () => config as any } as any,
        (message: string) => reported.push(message),
      );
    }
    return { policy, reported };
  }

  it("are all mandatory and each reports its rule's messages", async () => {
    expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["no-dev-mode-in-production", "mandatory"],
      ["no-weak-keys", "mandatory"],
      ["certificate-max-lifetime", "mandatory"],
      ["secret-outputs-are-secret", "mandatory"],
      ["gateway-routes-authenticated", "mandatory"],
    ]);
    expect((await validate("certificate-max-lifetime", rules.TYPES.serviceCert, { lifetimeDays: 30 }, { maxServiceLifetimeDays: 7 })).reported).toEqual([
      "r: service certificate lifetime of 30 days is over the maximum of 7 days (policy config maxServiceLifetimeDays)",
    ]);
    expect((await validate("no-dev-mode-in-production", rules.TYPES.etcdKeys, { defaults: { "/x/GlobalEnv/DEV_MODE": "true" } }, {}, { stackTags: new Map([[rules.PRODUCTION_TAG, "true"]]) })).reported).toHaveLength(1);
    expect((await validate("secret-outputs-are-secret", rules.TYPES.ca, {}, {}, { additionalSecretOutputs: ["keyPem"] })).reported).toEqual([]);
  });

  it("leave out the values not known at preview instead of failing the rule", async () => {
    const props = Object.defineProperty({ lifetimeDays: 900 }, "caCertPem", {
      enumerable: true,
      get() {
        throw new Error("string value at .caCertPem can't be known during preview");
      },
    });
    expect(knownValues(props)).toEqual({ lifetimeDays: 900 });
    expect((await validate("certificate-max-lifetime", rules.TYPES.serviceCert, props)).reported).toHaveLength(1);
    expect((await validate("no-weak-keys", rules.TYPES.serviceCert, props)).reported).toEqual([]);
  });
});

describe("the example stacks' resources pass every rule (Pulumi mocks)", { timeout: 120_000 }, () => {
  /** The stack file's edge-security config, with the encrypted values replaced by plain ones (mocks: never used). */
  function stackConfig(stack: string): Record<string, unknown> {
    const file = parseYaml(readFileSync(join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")).config as Record<string, unknown>;
    const plain = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(plain) : v && typeof v === "object" ? ("secure" in v ? "mock-secret-value" : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))) : v;
    return Object.fromEntries(Object.entries(file).map(([k, v]) => [k.replace(/^edge-security:/, ""), plain(v)]));
  }

  // The resources each example must have registered, so that every rule had something to check.
  const EXPECTED: Record<string, string[]> = {
    local: ["CertificateAuthority", "ServiceCertificate", "SecretStoreInit", "ServiceSecretToken", "MongoUser", "PostgresRoleDatabase", "NginxSite", "GatewayUser"],
    "eii-node": ["CertificateAuthority", "ServiceCertificate", "EtcdAuth", "EtcdKeys", "EtcdServiceAccess"],
    "edgex-kong": ["CertificateAuthority", "KongRoute", "KongUser"],
    edgex: ["CertificateAuthority", "SecretStoreKvMount", "SecretStoreIdentityEngine", "ServiceIdentity", "KnownSecret", "PostgresSchemaRole"],
  };
  for (const stack of Object.keys(EXPECTED)) {
    it(`stacks/Pulumi.${stack}.yaml`, async () => {
      const { recordingMocks, waitForRegistrations, SIG_KEY } = await import("../../../test/support/recording-mocks");
      const registrations = await recordingMocks(() => ({}));
      const { parseNodeConfig } = await import("../../node-config");
      const { EdgeNode } = await import("../../edge-node");
      const { secretStoreCustodySecret, ...raw } = stackConfig(stack);
      const cwd = process.cwd();
      process.chdir(ROOT); // the stack's files (routes, default config) are named relative to the project folder
      try {
        new EdgeNode("node", { config: parseNodeConfig(raw), custodySecret: secretStoreCustodySecret as string | undefined });
        await waitForRegistrations();
      } finally {
        process.chdir(cwd);
      }
      // What the analyzer sees: the inputs with secrets unwrapped.
      const unwrap = (v: any): any => (Array.isArray(v) ? v.map(unwrap) : v && typeof v === "object" ? (SIG_KEY in v ? unwrap(v.value) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]))) : v);
      const custom = registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
      for (const type of EXPECTED[stack]) expect(custom.some((r) => r.type === rules.dynamicType(type)), type).toBe(true);
      const tags = new Map([[rules.PRODUCTION_TAG, stack === "eii-node" ? "true" : "false"]]);
      const violations = custom.flatMap((r) => {
        const view = { type: r.type, name: r.name, props: unwrap(r.inputs), additionalSecretOutputs: r.additionalSecretOutputs, stackTags: tags };
        return [...rules.devModeViolations(view, {}), ...rules.weakKeyViolations(view), ...rules.lifetimeViolations(view, {}), ...rules.secretOutputViolations(view), ...rules.routeViolations(view, {})];
      });
      expect(violations).toEqual([]);
    });
  }
});
