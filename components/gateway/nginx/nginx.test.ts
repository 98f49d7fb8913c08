// The NGINX gateway's config section and its generated configuration, checked by the real `nginx -t`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { durationSeconds } from "./gateway-users";
import { applySite, authServiceConfig, NginxSite, renderNginxConf, siteState } from "./nginx";
import { ConfigError, parseNodeConfig } from "../../node-config";

function selfSigned(dir: string): { certPem: string; keyPem: string } {
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem"), "-subj", "/CN=gw", "-days", "1"], { stdio: "ignore" });
  return { certPem: readFileSync(join(dir, "c.pem"), "utf8"), keyPem: readFileSync(join(dir, "k.pem"), "utf8") };
}

function site(dir: string, routes: NginxSite["routes"]): NginxSite {
  return { configDir: join(dir, "conf"), listen: "127.0.0.1:18443", authListen: "127.0.0.1:18444", storeAddress: "https://127.0.0.1:18200", storeTlsName: "secretstore", userpassPath: "userpass", routes };
}

const ROUTES: NginxSite["routes"] = [
  { name: "core-data", path: "/core-data", protocol: "http", host: "127.0.0.1", port: 59880, upstreamPath: "/", public: false, groups: [] },
  { name: "ping", path: "/ping", protocol: "http", host: "127.0.0.1", port: 59881, upstreamPath: "/api/v3", public: true, groups: [] },
  { name: "cmd", path: "/core-command", protocol: "http", host: "127.0.0.1", port: 59882, upstreamPath: "/", public: false, groups: ["operators"] },
];

describe("NGINX configuration", () => {
  it("renders TLS 1.3 only, one location per route, auth_request unless public, the store's token endpoints", () => {
    const conf = renderNginxConf(site("/x", ROUTES), "CERT");
    expect(conf).toContain("ssl_protocols TLSv1.3;");
    expect(conf).toContain("location /core-data/ {\n      auth_request /_edge_auth/0;");
    expect(conf).toContain("proxy_pass http://edge_route_0/;");
    expect(conf).toMatch(/location \/ping\/ \{\n      proxy_set_header Host "127.0.0.1:59881";\n(      proxy_set_header .*\n)+      proxy_pass http:\/\/edge_route_1\/api\/v3\/;/);
    expect(conf).not.toContain("/_edge_auth/1");
    expect(conf).toContain('proxy_set_header X-Edge-Groups "operators";');
    expect(conf).toContain("location /vault/v1/auth/userpass/login/ {\n      proxy_pass https://127.0.0.1:18200/v1/auth/userpass/login/;");
    expect(conf).toContain("location /vault/v1/identity/oidc/token/ {");
    expect(conf).toContain('proxy_ssl_name "secretstore";');
    expect(conf).not.toMatch(/listen (?!127\.0\.0\.1)/);
  });

  it("applies a configuration that nginx -t accepts: TLS files 0600 in a 0700 folder; refuses one that fails, keeping the first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nginx-unit-"));
    const tls = selfSigned(dir);
    const s = site(dir, ROUTES);
    const auth = authServiceConfig(s, "edgex", "ES384");
    const applied = await applySite(s, tls, tls.certPem, auth);
    expect(applied.reloaded).toBe(false);
    const tlsDir = join(s.configDir, "tls");
    expect(statSync(tlsDir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(tlsDir)) expect(statSync(join(tlsDir, f)).mode & 0o777).toBe(0o600);
    expect(siteState(s.configDir, applied)).toBe("intact");
    const conf = readFileSync(join(s.configDir, "nginx.conf"), "utf8");
    // An upstream name that does not resolve: nginx -t fails, nginx.conf stays as it was.
    const bad = site(dir, [...ROUTES, { name: "gone", path: "/gone", protocol: "http", host: "no-such-host.invalid", port: 80, upstreamPath: "/", public: false, groups: [] }]);
    await expect(applySite(bad, selfSigned(dir), tls.certPem, auth)).rejects.toThrow(/^the generated NGINX configuration fails nginx -t, so the running one is kept: .*no-such-host\.invalid/);
    expect(readFileSync(join(s.configDir, "nginx.conf"), "utf8")).toBe(conf);
    expect(siteState(s.configDir, applied)).toBe("intact");
    writeFileSync(join(s.configDir, "nginx.conf"), `${conf}# edited by hand\n`);
    expect(siteState(s.configDir, applied)).toBe("changed");
  }, 60_000);
});

describe("gateway.nginx config", () => {
  const base = {
    services: [{ name: "secretstore" }, { name: "nginx" }],
    secretStore: { address: "https://127.0.0.1:8200", custodyDir: "/tmp/c" },
  };
  it("defaults: listen 127.0.0.1:8443, 1 h tokens, ES384, audience edgex", () => {
    const config = parseNodeConfig({ ...base, gateway: { kind: "nginx", extraRoutes: [{ name: "a", url: "http://127.0.0.1:1" }], nginx: { users: [{ name: "alice" }] } } });
    expect(config.gateway?.nginx).toMatchObject({ listen: "127.0.0.1:8443", tokenTtl: "1h", keyAlgorithm: "ES384", audience: "edgex", users: [{ name: "alice", groups: [] }] });
    expect(config.secretStore?.gatewayService).toBe("nginx");
    expect(durationSeconds("1h")).toBe(3600);
    expect(durationSeconds("90")).toBe(90);
  });
  it.each([
    [{ listen: "0.0.0.0:443" }, 'edge-security:gateway.nginx.listen: "0.0.0.0:443" is not a loopback address:port'],
    [{ keyAlgorithm: "RS256" }, 'edge-security:gateway.nginx.keyAlgorithm: must be "ES384" or "ES256"'],
    [{ users: [{ name: "a" }, { name: "a" }] }, 'edge-security:gateway.nginx.users[1].name: duplicate user "a"'],
    [{ users: [{ name: "Bad Name" }] }, 'edge-security:gateway.nginx.users[0].name: "Bad Name" is not a valid user name'],
    [{ tokenTtl: "1d" }, 'edge-security:gateway.nginx.tokenTtl: "1d" is not a duration'],
  ])("refuses %j in one line", (nginx, message) => {
    expect(() => parseNodeConfig({ ...base, gateway: { kind: "nginx", extraRoutes: [{ name: "a", url: "http://127.0.0.1:1" }], nginx } })).toThrow(ConfigError);
    expect(() => parseNodeConfig({ ...base, gateway: { kind: "nginx", extraRoutes: [{ name: "a", url: "http://127.0.0.1:1" }], nginx } })).toThrow(message);
  });
  it("refuses a route on the gateway's own paths", () => {
    expect(() => parseNodeConfig({ ...base, gateway: { kind: "nginx", extraRoutes: [{ name: "v", url: "http://127.0.0.1:1", path: "/vault/x" }] } })).toThrow(/reserved by the gateway \(\/vault\)/);
  });
});
