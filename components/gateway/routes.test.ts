// The gateway's route mapping: EdgeX's TOML plus extra routes, every error one line naming file, route and field.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRoutes, extraRoute, extraRouteSchema, readRouteFile } from "./routes";
import { ConfigError, parseNodeConfig } from "../node-config";

const dir = mkdtempSync(join(tmpdir(), "routes-"));
let n = 0;
function routeFile(text: string): string {
  const file = join(dir, `routes-${n++}.toml`);
  writeFileSync(file, text);
  return file;
}

const coreData = `[Routes.core-data]\nName = "Core-Data"\nProtocol = "http"\nHost = "edgex-core-data"\nPort = 59880\n`;

describe("route file", () => {
  it("reads EdgeX's format: path is / + the lower-cased name; other tables are ignored", () => {
    const file = routeFile(`[Writable]\nLogLevel = "INFO"\n${coreData}[Routes.ui]\nName = "ui"\nProtocol = "HTTPS"\nHost = "10.0.0.5"\nPort = 4000\nPath = "/web/ui"\nPublic = true\nGroups = ["ops"]\n`);
    expect(readRouteFile(file)).toEqual([
      { name: "Core-Data", source: `${file} [Routes.core-data]`, path: "/core-data", protocol: "http", host: "edgex-core-data", port: 59880, upstreamPath: "/", public: false, groups: [] },
      { name: "ui", source: `${file} [Routes.ui]`, path: "/web/ui", protocol: "https", host: "10.0.0.5", port: 4000, upstreamPath: "/", public: true, groups: ["ops"] },
    ]);
  });

  it("the example mapping is valid", () => {
    const routes = checkRoutes(readRouteFile(resolve(__dirname, "../../stacks/edgex-node/routes.toml")));
    expect(routes.map((r) => r.path)).toEqual(["/core-data", "/core-metadata", "/core-command", "/support-notifications", "/ui"]);
  });

  it.each([
    [`[Routes.a]\nName = "a"\nProtocol = "http"\nHost = "h"\nPort = 70000\n`, "[Routes.a]: Port: must be from 1 to 65535"],
    [`[Routes.a]\nName = "a"\nProtocol = "ftp"\nHost = "h"\nPort = 1\n`, `[Routes.a]: Protocol: must be "http" or "https"`],
    [`[Routes.a]\nName = "a"\nProtocol = "http"\nHost = "bad host!"\nPort = 1\n`, `[Routes.a]: Host: "bad host!" is not a DNS name or IP address`],
    [`[Routes.a]\nName = "a"\nProtocol = "http"\nPort = 1\n`, "[Routes.a]: Host: is required"],
    [`[Routes.a]\nName = "a"\nProtocol = "http"\nHost = "h"\nPort = 1\nPath = "/a/(.*)"\n`, `[Routes.a]: Path: "/a/(.*)" is not a gateway path`],
    [`[Routes.a]\nName = "a"\nProtocol = "http"\nHost = "h"\nPort = 1\nPath = "/a/"\n`, `[Routes.a]: Path: "/a/" is not a gateway path`],
    [`[Routes.a]\nName = "a"\nProtocol = "http"\nHost = "h"\nPort = 1\nPort2 = 1\n`, "[Routes.a]: Port2: is not a known field"],
    [`[Routes.a]\nName = "a b"\nProtocol = "http"\nHost = "h"\nPort = 1\n`, `[Routes.a]: Name: "a b" is not a valid route name`],
    [`[Writable]\nx = 1\n`, "has no [Routes.<name>] tables"],
    [`[Routes.a]\nName = "a\n`, "invalid TOML at line 2, column"],
  ])("refuses %j in one line naming the file, route and field", (text, expected) => {
    const file = routeFile(text);
    let message = "";
    try {
      readRouteFile(file);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.startsWith(file)).toBe(true);
    expect(message).toContain(expected);
    expect(message).not.toContain("\n");
  });

  it("a missing file is one line naming it", () => {
    expect(() => readRouteFile(join(dir, "nope.toml"))).toThrow(`${join(dir, "nope.toml")}: cannot be read (ENOENT)`);
  });
});

describe("extra routes and checks across routes", () => {
  it("keeps the URL's path and port (EdgeX's ADD_PROXY_ROUTE dropped the path)", () => {
    const route = extraRoute(extraRouteSchema.parse({ name: "MyApp", url: "https://my-app.local:8443/api/v2" }), "extraRoutes[0]");
    expect(route).toMatchObject({ name: "MyApp", path: "/myapp", protocol: "https", host: "my-app.local", port: 8443, upstreamPath: "/api/v2" });
    expect(extraRoute(extraRouteSchema.parse({ name: "x", url: "http://[::1]/" }), "e").host).toBe("::1");
    expect(extraRoute(extraRouteSchema.parse({ name: "x", url: "http://h" }), "e").port).toBe(80);
  });

  it("refuses URLs with credentials, queries or other schemes", () => {
    for (const url of ["ftp://h/", "http://u:p@h/", "http://h/?q=1", "not a url"]) expect(extraRouteSchema.safeParse({ name: "x", url }).success).toBe(false);
  });

  it("names collide case-insensitively; paths must be unique and not reserved", () => {
    const file = routeFile(coreData);
    const [fromFile] = readRouteFile(file);
    const dupName = extraRoute(extraRouteSchema.parse({ name: "core-data", url: "http://h:1", path: "/other" }), "extraRoutes[0]");
    expect(() => checkRoutes([fromFile, dupName])).toThrow(`extraRoutes[0]: Name: "core-data" is already used by ${file} [Routes.core-data] (names are compared case-insensitively)`);
    const dupPath = extraRoute(extraRouteSchema.parse({ name: "other", url: "http://h:1", path: "/core-data" }), "extraRoutes[1]");
    expect(() => checkRoutes([fromFile, dupPath])).toThrow(`extraRoutes[1]: Path: "/core-data" is already the path of ${file} [Routes.core-data]`);
    expect(() => checkRoutes([fromFile], ["/core-data"])).toThrow(`Path: "/core-data" is reserved by the gateway (/core-data)`);
    expect(checkRoutes([fromFile], ["/core"])).toHaveLength(1);
  });
});

describe("gateway section of the stack config", () => {
  const services = [{ name: "secretstore" }, { name: "nginx" }, { name: "core-data" }];
  const parseWith = (gateway: unknown, secretStore: unknown = {}) => parseNodeConfig({ services, secretStore, gateway });
  const errorOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error("no error");
  };

  it("resolves the service, loads the routes and makes the service the store's gateway service", () => {
    const file = routeFile(coreData);
    const node = parseWith({ kind: "nginx", routesFile: file, extraRoutes: [{ name: "app", url: "http://127.0.0.1:9000/x" }] });
    expect(node.gateway).toMatchObject({ kind: "nginx", service: "nginx", routesFile: file });
    expect(node.gateway!.routes.map((r) => r.path)).toEqual(["/core-data", "/app"]);
    expect(node.secretStore!.gatewayService).toBe("nginx");
  });

  it("refuses a gateway without a store, an unknown service, no routes, and a bad route file in one line", () => {
    const file = routeFile(coreData);
    expect(errorOf(() => parseNodeConfig({ services, gateway: { kind: "nginx", routesFile: file } }))).toBe("edge-security:gateway: needs secretStore (the gateway's certificate and key are read back from it)");
    expect(errorOf(() => parseWith({ kind: "kong", routesFile: file }))).toBe(`edge-security:gateway.service: "kong" is not in services (the gateway's TLS certificate is that service's)`);
    expect(errorOf(() => parseWith({ kind: "nginx", service: "nginx", routesFile: file }, { gatewayService: "core-data" }))).toBe(`edge-security:gateway.service: "nginx" differs from secretStore.gatewayService ("core-data")`);
    expect(errorOf(() => parseWith({ kind: "nginx" }))).toBe("edge-security:gateway.routesFile: is required (or give gateway.extraRoutes): a gateway needs at least one route");
    expect(errorOf(() => parseWith({ kind: "traefik", routesFile: file }))).toBe(`edge-security:gateway.kind: must be "kong" or "nginx"`);
    const bad = routeFile(`[Routes.x]\nName = "x"\nProtocol = "http"\nHost = "h"\nPort = 0\n`);
    expect(errorOf(() => parseWith({ kind: "nginx", routesFile: bad }))).toBe(`edge-security:gateway: ${bad} [Routes.x]: Port: must be from 1 to 65535`);
    expect(errorOf(() => parseWith({ kind: "nginx", extraRoutes: [{ name: "x", url: "ftp://h" }] }))).toMatch(/^edge-security:gateway\.extraRoutes\[0\]\.url: "ftp:\/\/h" is not an http/);
  });
});
