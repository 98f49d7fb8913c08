// The EdgeX 4 layout's gateway as the stack config selects it: NGINX with EdgeX's route table, one-line refusals
// of what the layout sets or EdgeX lacks (before anything is registered), and users in adduser's shape.
import { describe, expect, it } from "vitest";
import { ConfigError, parseNodeConfig } from "../node-config";
import { edgexGatewayUser, edgexServicePolicy } from "./edgex4";

const base = (gateway: Record<string, unknown>, layout = "edgex4") => ({
  layout,
  services: ["secretstore", "core-data", "core-keeper", "nginx"].map((name) => ({ name })),
  secretStore: {},
  gateway: { kind: "nginx", routesFile: "stacks/edgex/routes.toml", ...gateway },
});

function oneLine(raw: Record<string, unknown>): string {
  try {
    parseNodeConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toMatch(/[\r\n]/);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("layout edgex4: the gateway", () => {
  it("takes NGINX with EdgeX 4's route table; the store keeps no gateway certificate (KV v1), the defaults are introspection, no lockout, 30 logins a minute", () => {
    const config = parseNodeConfig(base({ nginx: { users: [{ name: "operator" }] } }));
    expect(config.gateway!.routes.map((r) => r.path).sort()).toEqual(
      ["/app-rules-engine", "/core-command", "/core-data", "/core-keeper", "/core-metadata", "/device-rest", "/device-virtual", "/rules-engine", "/support-notifications", "/support-scheduler"],
    );
    expect(config.gateway!.routes.every((r) => !r.public)).toBe(true);
    expect(config.secretStore!.gatewayService).toBeUndefined();
    expect(config.gateway!.nginx!.check).toBeUndefined();
    expect(config.gateway!.nginx!.lockout).toEqual({ threshold: 0, duration: "15m" });
    expect(config.gateway!.nginx!.loginRate).toBe("30r/m");
  });

  it("refuses Kong, the identity settings the layout sets, a user named as a service, the store's own service, and introspection on the default layout", () => {
    expect(oneLine(base({ kind: "kong" }))).toMatch(/^edge-security:gateway\.kind: must be "nginx" with layout edgex4/);
    expect(oneLine(base({ nginx: { keyName: "mine" } }))).toMatch(/^edge-security:gateway\.nginx\.keyName: is set by layout edgex4/);
    expect(oneLine(base({ nginx: { userpassPath: "users" } }))).toMatch(/^edge-security:gateway\.nginx\.userpassPath: is set by layout edgex4/);
    expect(oneLine(base({ nginx: { users: [{ name: "ok" }, { name: "core-data" }] } }))).toMatch(/^edge-security:gateway\.nginx\.users\[1\]\.name: "core-data" is a service's name/);
    expect(oneLine(base({ service: "secretstore" }))).toMatch(/^edge-security:secretStore\.gatewayService: /);
    const defaultLayout = { ...base({ nginx: { check: "introspect" } }, "default"), services: [{ name: "secretstore" }, { name: "nginx" }] };
    expect(oneLine(defaultLayout)).toMatch(/^edge-security:gateway\.nginx\.check: "introspect" needs layout edgex4/);
    expect(oneLine(base({ nginx: { loginRate: "lots" } }))).toMatch(/^edge-security:gateway\.nginx\.loginRate: must be a rate/);
  });

  it("makes a user as secrets-config proxy adduser does", () => {
    expect(edgexGatewayUser("1h", "operator", [])).toEqual({ policyName: "edgex-user-operator", policy: edgexServicePolicy("operator"), oidcTemplate: '{"name":"operator"}', tokenPeriod: "1h" });
    expect(JSON.parse(edgexGatewayUser("1h", "operator", ["operators"]).oidcTemplate)).toEqual({ name: "operator", groups: ["operators"] });
  });
});
