// The example EdgeX-on-Kong stack (stacks/Pulumi.edgex-kong.yaml) built as an EdgeNode against Pulumi mocks: it
// "previews" without a Kong (no engine, no server). Checks the Kong part of the graph: every Kong resource waits
// for the Admin API resource, the certificate waits for the secret store's copy, the auth per route, no secret
// in plain inputs, and the `gateway` output.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isSecretOnWire, lookups, recordingMocks, Registration, valueOf, waitForRegistrations } from "../../../test/support/recording-mocks";

const PROJECT_ROOT = resolve(__dirname, "../../..");
const T = {
  admin: "pulumi-nodejs:dynamic/edge-security:KongAdminApi",
  route: "pulumi-nodejs:dynamic/edge-security:KongRoute",
  cert: "pulumi-nodejs:dynamic/edge-security:KongCertificate",
  user: "pulumi-nodejs:dynamic/edge-security:KongUser",
  storeCert: "pulumi-nodejs:dynamic/edge-security:SecretStoreCertificate",
  gateway: "edge-security:gateway:KongGateway",
};

/** The example stack's config, without the namespace (secure values left out: the test gives its own). */
function exampleConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const doc = parse(readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.edgex-kong.yaml"), "utf8"));
  const config = Object.fromEntries(Object.entries(doc.config).filter(([, v]) => !(typeof v === "object" && v !== null && "secure" in v)).map(([k, v]) => [k.replace(/^edge-security:/, ""), v]));
  return { ...config, ...overrides };
}

async function build(raw: Record<string, unknown>) {
  const { parseNodeConfig } = await import("../../node-config");
  // routesFile is relative to the project folder, where Pulumi runs the program.
  process.chdir(PROJECT_ROOT);
  const config = parseNodeConfig(raw);
  const registrations = await recordingMocks((args) => ({ major: args.type.endsWith(":KongAdminApi") ? 3 : undefined, unsealKeys: args.type.endsWith(":SecretStoreInit") ? ["k1", "k2", "k3"] : undefined, serialNumber: "01", certPem: "CERT" }));
  const { EdgeNode } = await import("../../edge-node");
  const node = new EdgeNode("node", { config, custodySecret: pulumi.secret("custody-secret-custody-secret-custody") });
  const gateway = node.outputs.gateway;
  await valueOf(node.outputs.services);
  await waitForRegistrations();
  return { registrations, gateway, ...lookups(registrations) };
}

describe("the example stack Pulumi.edgex-kong.yaml under Pulumi mocks", { timeout: 120_000 }, () => {
  let built: Awaited<ReturnType<typeof build>>;
  const routes = (regs: Registration[]) => regs.filter((r) => r.type === T.route);

  beforeAll(async () => {
    built = await build(exampleConfig());
  }, 120_000);

  it("registers the Admin API wait, the certificate, one route per mapping entry and one user per user", () => {
    const { count } = built;
    expect(count(T.gateway)).toBe(1);
    expect(count(T.admin)).toBe(1);
    expect(count(T.cert)).toBe(1);
    expect(routes(built.registrations).map((r) => r.inputs.name).sort()).toEqual(["app-rules", "core-command", "core-data", "core-metadata", "support-notifications", "ui"]);
    expect(count(T.user)).toBe(2);
  });

  it("every Kong resource waits for the Admin API; the certificate also for the secret store's copy", () => {
    const admin = built.find(T.admin, "gateway-admin-api");
    for (const r of built.registrations.filter((r) => [T.route, T.cert, T.user].includes(r.type))) expect(r.dependencies, r.name).toContain(admin.urn);
    const cert = built.find(T.cert, "gateway-certificate");
    expect(cert.dependencies).toContain(built.find(T.storeCert, "kong-tls-secret").urn);
    expect(cert.inputs.path).toBe("edgex/kong/tls");
    expect(cert.inputs.snis).toEqual(["edgex-kong", "localhost"]);
    expect(isSecretOnWire(cert.wire.store.unsealKeys)).toBe(true);
    expect(cert.additionalSecretOutputs).toEqual(expect.arrayContaining(["store", "adminCredentials"]));
  });

  it("routes get JWT by default, OAuth2 where asked, none when public; ACL groups from Groups or the default group", () => {
    const byName = Object.fromEntries(routes(built.registrations).map((r) => [r.inputs.name, r.inputs]));
    expect(byName["core-data"]).toMatchObject({ auth: "jwt", groups: ["gateway-users"], path: "/core-data", host: "127.0.0.1", port: 59880, jwtMaximumExpirationSeconds: 3600 });
    expect(byName["core-command"]).toMatchObject({ auth: "jwt", groups: ["operators"] });
    expect(byName["ui"]).toMatchObject({ auth: "none" });
    expect(byName["app-rules"]).toMatchObject({ auth: "oauth2", upstreamPath: "/api/v2", port: 59701 });
  });

  it("users get the credentials the routes need (JWT and OAuth2 here), in their own folder; the client secret is a secret output", () => {
    const operator = built.find(T.user, "gateway-user-operator");
    expect(operator.inputs).toMatchObject({ username: "operator", groups: ["gateway-users", "operators"], dir: "/run/edge-security-edgex/secrets/gateway-users/operator", jwt: { algorithm: "ES256", maximumExpirationSeconds: 3600 }, oauth2: { tokenPath: "/app-rules/oauth2/token" } });
    expect(operator.additionalSecretOutputs).toContain("clientSecret");
  });

  it("outputs gateway: kind, addresses and route paths, nothing secret", async () => {
    expect(built.gateway).toEqual({
      kind: "kong",
      adminUrl: "http://127.0.0.1:8001",
      proxyUrl: "https://edgex-kong:8443",
      routes: { "core-data": "/core-data", "core-metadata": "/core-metadata", "core-command": "/core-command", "support-notifications": "/support-notifications", ui: "/ui", "app-rules": "/app-rules" },
    });
  });

  it("Admin API credentials travel only as secrets", async () => {
    const gateway = exampleConfig().gateway as Record<string, any>;
    const withCreds = await build(exampleConfig({ gateway: { ...gateway, kong: { ...gateway.kong, adminCredentials: { header: "apikey", value: "admin-key-value" } } } }));
    const kongResources = withCreds.registrations.filter((r) => [T.admin, T.route, T.cert, T.user].includes(r.type));
    expect(kongResources.length).toBe(10);
    for (const r of kongResources) {
      expect(isSecretOnWire(r.wire.adminCredentials), r.name).toBe(true);
      expect(r.additionalSecretOutputs, r.name).toContain("adminCredentials");
    }
  });
});

describe("gateway.kong config errors: one line naming the key", () => {
  it.each([
    [{ auth: "basic" }, `edge-security:gateway.kong.auth: must be "jwt" or "oauth2"`],
    [{ jwt: { maximumExpirationSeconds: 0 } }, "edge-security:gateway.kong.jwt.maximumExpirationSeconds: must be at least 1 second"],
    [{ jwt: { maximumExpirationSeconds: 31_536_001 } }, "edge-security:gateway.kong.jwt.maximumExpirationSeconds: must be at most 31536000 seconds"],
    [{ adminUrl: "ftp://x" }, `edge-security:gateway.kong.adminUrl: "ftp://x" is not an http:// or https:// URL (no credentials, query or fragment)`],
    [{ users: [{ name: "a" }, { name: "A" }] }, `edge-security:gateway.kong.users[1].name: "A" is listed twice`],
    [{ adminKey: "x" }, "edge-security:gateway.kong.adminKey: is not a known setting"],
  ])("%j", async (kong, message) => {
    const { parseNodeConfig } = await import("../../node-config");
    process.chdir(PROJECT_ROOT);
    const gateway = exampleConfig().gateway as Record<string, any>;
    expect(() => parseNodeConfig(exampleConfig({ gateway: { ...gateway, kong } }))).toThrow(message);
  });

  it("a route's Auth must be jwt or oauth2", async () => {
    const { parseNodeConfig } = await import("../../node-config");
    const gateway = exampleConfig().gateway as Record<string, any>;
    expect(() => parseNodeConfig(exampleConfig({ gateway: { ...gateway, extraRoutes: [{ name: "x", url: "http://127.0.0.1:1", auth: "basic" }] } }))).toThrow(`edge-security:gateway.extraRoutes[0].auth: must be "jwt" or "oauth2"`);
  });
});
