// The NGINX gateway's part of an EdgeNode's graph, registered against Pulumi mocks (no engine, no server).
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { lookups, recordingMocks, waitForRegistrations } from "../../../test/support/recording-mocks";

const T = {
  identity: "pulumi-nodejs:dynamic/edge-security:GatewayIdentity",
  user: "pulumi-nodejs:dynamic/edge-security:GatewayUser",
  site: "pulumi-nodejs:dynamic/edge-security:NginxSite",
  storeCert: "pulumi-nodejs:dynamic/edge-security:SecretStoreCertificate",
  file: "pulumi-nodejs:dynamic/edge-security:PlainFile",
  gateway: "edge-security:gateway:NginxGateway",
};

async function buildNode() {
  const { parseNodeConfig } = await import("../../node-config");
  const config = parseNodeConfig({
    secretsRoot: "/run/unit/secrets",
    services: [{ name: "secretstore" }, { name: "nginx" }, { name: "core-data" }],
    secretStore: { address: "https://127.0.0.1:8200" },
    gateway: { kind: "nginx", extraRoutes: [{ name: "core-data", url: "http://127.0.0.1:59880" }], nginx: { users: [{ name: "alice", groups: ["ops"] }, { name: "bob", tokenTtl: "15m" }] } },
  });
  const registrations = await recordingMocks((args) => ({ password: args.type.endsWith(":GatewayUser") ? `password of ${args.name}` : undefined, userpassAccessor: args.type.endsWith(":GatewayIdentity") ? "auth_userpass_1" : undefined }));
  const { EdgeNode } = await import("../../edge-node");
  const node = new EdgeNode("node", { config, custodySecret: pulumi.secret("custody-secret-custody-secret-custody") });
  await waitForRegistrations();
  return { node, registrations, ...lookups(registrations) };
}

describe("EdgeNode with an NGINX gateway (Pulumi mocks)", { timeout: 120_000 }, () => {
  it("registers the identity, one user per configured user (passwords secret), and the site after the stored certificate; the gateway's readiness file waits for all", async () => {
    const { find, count } = await buildNode();
    expect(count(T.user)).toBe(2);
    const gateway = find(T.gateway, "gateway");
    const identity = find(T.identity, "gateway-identity");
    expect(identity.parent).toBe(gateway.urn);
    expect(identity.inputs).toMatchObject({ userpassPath: "userpass", keyName: "edge-gateway", algorithm: "ES384" });
    const alice = find(T.user, "gateway-user-alice");
    expect(alice.inputs).toMatchObject({ name: "alice", groups: ["ops"], audience: "edgex", tokenTtlSeconds: 3600 });
    expect(find(T.user, "gateway-user-bob").inputs.tokenTtlSeconds).toBe(900);
    expect(alice.additionalSecretOutputs.sort()).toEqual(["password", "unsealKeys"]);
    const site = find(T.site, "gateway-site");
    expect(site.inputs.site).toMatchObject({ configDir: "/run/unit/secrets/nginx/nginx", listen: "127.0.0.1:8443", storeTlsName: "secretstore", routes: [{ name: "core-data", path: "/core-data", port: 59880, public: false }] });
    expect(site.inputs).toMatchObject({ mount: "secret", tlsPath: "edgex/nginx/tls" });
    expect(site.dependencies).toEqual(expect.arrayContaining([find(T.storeCert, "nginx-tls-secret").urn, identity.urn]));
    expect(find(T.file, "nginx-ready").dependencies).toEqual(expect.arrayContaining([site.urn, alice.urn, identity.urn]));
  });

  it("gives the gateway outputs, passwords as secrets", async () => {
    const { node } = await buildNode();
    const gateway = node.outputs.gateway as any;
    expect(gateway).toMatchObject({ kind: "nginx", url: "https://127.0.0.1:8443", routes: { "core-data": "/core-data" } });
    expect(gateway.users.alice).toMatchObject({ loginPath: "/vault/v1/auth/userpass/login/alice", tokenPath: "/vault/v1/identity/oidc/token/alice" });
    expect(await pulumi.isSecret(gateway.users.alice.password)).toBe(true);
  });
});
