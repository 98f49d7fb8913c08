// The NGINX gateway under layout edgex4 in an EdgeNode's graph, against Pulumi mocks (no engine, no server): no
// identity of its own (the store's engine), users in adduser's shape after the engine, the lockout, the site with
// the PKI's key file, introspection with the gateway service's token, waiting for that service's identity.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { lookups, recordingMocks, waitForRegistrations } from "../../../test/support/recording-mocks";
import { edgexServicePolicy } from "../../layouts/edgex4";

const T = {
  identity: "pulumi-nodejs:dynamic/edge-security:GatewayIdentity",
  engine: "pulumi-nodejs:dynamic/edge-security:SecretStoreIdentityEngine",
  serviceIdentity: "pulumi-nodejs:dynamic/edge-security:ServiceIdentity",
  user: "pulumi-nodejs:dynamic/edge-security:GatewayUser",
  lockout: "pulumi-nodejs:dynamic/edge-security:UserpassLockout",
  site: "pulumi-nodejs:dynamic/edge-security:NginxSite",
  file: "pulumi-nodejs:dynamic/edge-security:PlainFile",
};

describe("EdgeNode with layout edgex4 and an NGINX gateway (Pulumi mocks)", { timeout: 120_000 }, () => {
  it("uses the store's identity engine, makes users as adduser does, checks tokens by introspection with the gateway service's token", async () => {
    const { parseNodeConfig } = await import("../../node-config");
    const config = parseNodeConfig({
      layout: "edgex4",
      secretsRoot: "/run/unit/secrets",
      services: [{ name: "secretstore" }, { name: "nginx" }, { name: "core-data" }],
      secretStore: { address: "https://127.0.0.1:8200" },
      gateway: { kind: "nginx", routesFile: "stacks/edgex/routes.toml", nginx: { users: [{ name: "alice" }], lockout: { threshold: 4, duration: "5m" } } },
    });
    const registrations = await recordingMocks((args) => ({ password: args.type.endsWith(":GatewayUser") ? `password of ${args.name}` : undefined, userpassAccessor: args.type.endsWith(":SecretStoreIdentityEngine") ? "auth_userpass_9" : undefined }));
    const { EdgeNode } = await import("../../edge-node");
    new EdgeNode("node", { config, custodySecret: pulumi.secret("custody-secret-custody-secret-custody") });
    await waitForRegistrations();
    const { find, count } = lookups(registrations);
    expect(count(T.identity)).toBe(0);
    const engine = find(T.engine, "secret-store-identity");
    const gatewayToken = find(T.serviceIdentity, "nginx-store-identity");
    const alice = find(T.user, "gateway-user-alice");
    expect(alice.inputs).toMatchObject({ name: "alice", userpassPath: "userpass", userpassAccessor: "auth_userpass_9", keyName: "edgex-identity", audience: "edgex", edgex: { policyName: "edgex-user-alice", policy: edgexServicePolicy("alice"), oidcTemplate: '{"name":"alice"}', tokenPeriod: "1h" } });
    expect(alice.dependencies).toEqual(expect.arrayContaining([engine.urn, gatewayToken.urn]));
    expect(find(T.lockout, "gateway-lockout").inputs).toMatchObject({ userpassPath: "userpass", threshold: 4, durationSeconds: 300 });
    const site = find(T.site, "gateway-site");
    expect(site.inputs).toMatchObject({ authCheck: { issuer: "/v1/identity/oidc", introspectTokenFile: "/run/unit/secrets/nginx/secrets-token.json" } });
    expect(site.inputs.site.loginLimit).toEqual({ rate: "30r/m", burst: 10 });
    expect(site.inputs.site.routes).toHaveLength(10);
    expect(site.dependencies).toEqual(expect.arrayContaining([engine.urn, gatewayToken.urn]));
    expect(find(T.file, "nginx-ready").dependencies).toEqual(expect.arrayContaining([site.urn, alice.urn]));
  });
});
