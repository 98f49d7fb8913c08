// The gateway's route mapping, shared by both gateway kinds (Kong, NGINX): EdgeX's `[Routes.<key>]` TOML
// (Name, Protocol, Host, Port; the gateway path is "/" + the lower-cased name unless Path is given) plus extra
// routes from the stack config (EdgeX's ADD_PROXY_ROUTE, but keeping the URL's path, which EdgeX dropped).
// No Pulumi in here. Every error is one line naming the file (or config key), the route and the field.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parse, TomlError } from "smol-toml";
import { z } from "zod";
import { EdgeError, zodProblem } from "../shared/errors";

/** A route file's mistake (one line naming the file and the route); the gateway config reports it as a ConfigError. */
export class RouteMappingError extends EdgeError {}

export type RouteProtocol = "http" | "https";

export interface Route {
  /** The route's name (EdgeX's `Name`): unique, case-insensitively. Kong names its service and route after it. */
  name: string;
  /** Where the route was declared, for messages: `routes.toml [Routes.core-data]` or `gateway.extraRoutes[0]`. */
  source: string;
  /** The gateway path prefix, e.g. "/core-data": a plain prefix (no regex), no trailing slash. */
  path: string;
  protocol: RouteProtocol;
  host: string;
  port: number;
  /** The path on the service that the gateway path maps to ("/" unless an extra route's URL names one). */
  upstreamPath: string;
  /** A public route needs no token at the gateway. */
  public: boolean;
  /** Groups a user must be in (one of them) to use the route; empty: any authenticated user. */
  groups: string[];
  /** This route's authentication, when it differs from the gateway's default (Kong: "jwt" or "oauth2"). */
  auth?: RouteAuth;
}

export type RouteAuth = "jwt" | "oauth2";

const ROUTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** A gateway path: "/" then segments of unreserved URL characters; no regex metacharacters, no "//", no "..". */
const GATEWAY_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function isHost(value: string): boolean {
  return isIP(value) !== 0 || (value.length <= 253 && value.split(".").every((label) => DNS_LABEL.test(label)));
}

const name = z.string({ invalid_type_error: "must be a string" }).refine((n) => ROUTE_NAME.test(n), (n) => ({ message: `${JSON.stringify(n)} is not a valid route name (letters, digits, '.', '_', '-'; at most 63 characters)` }));
const gatewayPath = z.string({ invalid_type_error: "must be a string" }).refine((p) => GATEWAY_PATH.test(p) && !p.split("/").includes(".."), (p) => ({ message: `${JSON.stringify(p)} is not a gateway path ("/" then letters, digits, '.', '_', '~', '-' segments; no trailing "/")` }));
const protocol = z.enum(["http", "https"], { errorMap: () => ({ message: `must be "http" or "https"` }) });
const host = z.string({ invalid_type_error: "must be a string" }).refine(isHost, (h) => ({ message: `${JSON.stringify(h)} is not a DNS name or IP address` }));
const port = z.number({ invalid_type_error: "must be a number" }).int("must be a whole number").min(1, "must be from 1 to 65535").max(65535, "must be from 1 to 65535");
const auth = z.enum(["jwt", "oauth2"], { errorMap: () => ({ message: `must be "jwt" or "oauth2"` }) });
const groups = z.array(z.string().refine((g) => GROUP.test(g), (g) => ({ message: `${JSON.stringify(g)} is not a valid group name` }))).default([]);

/** One `[Routes.<key>]` table of the TOML file (EdgeX's fields, plus the optional Path, Public and Groups). */
const tomlRouteSchema = z
  .object({
    Name: name,
    Protocol: z.preprocess((v) => (typeof v === "string" ? v.toLowerCase() : v), protocol),
    Host: host,
    Port: port,
    Path: gatewayPath.optional(),
    Public: z.boolean({ invalid_type_error: "must be true or false" }).default(false),
    Groups: groups,
    Auth: auth.optional(),
  })
  .strict();

/** One entry of `gateway.extraRoutes` in the stack config. */
export const extraRouteSchema = z
  .object({
    name,
    url: z.string().refine((u) => {
      try {
        const url = new URL(u);
        return (url.protocol === "http:" || url.protocol === "https:") && !url.search && !url.hash && !url.username && !url.password && isHost(url.hostname.replace(/^\[|\]$/g, ""));
      } catch {
        return false;
      }
    }, (u) => ({ message: `${JSON.stringify(u)} is not an http:// or https:// URL of a DNS name or IP address (no query, fragment or credentials)` })),
    path: gatewayPath.optional(),
    public: z.boolean().default(false),
    groups,
    auth: auth.optional(),
  })
  .strict();

export type ExtraRoute = z.infer<typeof extraRouteSchema>;

function describeIssue(error: z.ZodError): string {
  const [path, message] = zodProblem(error, "is not a known field");
  return path.length > 0 ? `${path.join(".")}: ${message}` : message;
}

/** Reads `[Routes.*]` from a TOML file (other tables, as in EdgeX's full configuration file, are ignored). */
export function readRouteFile(file: string): Route[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new RouteMappingError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) throw new RouteMappingError(`${file}: invalid TOML at line ${err.line}, column ${err.column}: ${err.message.split("\n")[0].replace(/^Invalid TOML document: /, "")}`);
    throw err;
  }
  const tables = doc.Routes;
  if (tables === undefined) throw new RouteMappingError(`${file}: has no [Routes.<name>] tables`);
  if (typeof tables !== "object" || tables === null || Array.isArray(tables)) throw new RouteMappingError(`${file}: Routes must be a table of [Routes.<name>] tables`);
  return Object.entries(tables).map(([key, table]) => {
    const source = `${file} [Routes.${key}]`;
    if (typeof table !== "object" || table === null || Array.isArray(table)) throw new RouteMappingError(`${source}: must be a table`);
    const parsed = tomlRouteSchema.safeParse(table);
    if (!parsed.success) throw new RouteMappingError(`${source}: ${describeIssue(parsed.error)}`);
    const r = parsed.data;
    return { name: r.Name, source, path: r.Path ?? `/${r.Name.toLowerCase()}`, protocol: r.Protocol, host: r.Host, port: r.Port, upstreamPath: "/", public: r.Public, groups: r.Groups, ...(r.Auth ? { auth: r.Auth } : {}) };
  });
}

/** An extra route from the stack config (already validated by extraRouteSchema). */
export function extraRoute(route: ExtraRoute, source: string): Route {
  const url = new URL(route.url);
  const protocol = url.protocol === "https:" ? "https" : "http";
  return {
    name: route.name,
    source,
    path: route.path ?? `/${route.name.toLowerCase()}`,
    protocol,
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : protocol === "https" ? 443 : 80,
    upstreamPath: url.pathname || "/",
    public: route.public,
    groups: route.groups,
    ...(route.auth ? { auth: route.auth } : {}),
  };
}

/** Checks the routes together: names unique case-insensitively, paths unique and not reserved. */
export function checkRoutes(routes: Route[], reservedPaths: readonly string[] = []): Route[] {
  const names = new Map<string, Route>();
  const paths = new Map<string, Route>();
  for (const route of routes) {
    const sameName = names.get(route.name.toLowerCase());
    if (sameName) throw new RouteMappingError(`${route.source}: Name: ${JSON.stringify(route.name)} is already used by ${sameName.source} (names are compared case-insensitively)`);
    names.set(route.name.toLowerCase(), route);
    const samePath = paths.get(route.path);
    if (samePath) throw new RouteMappingError(`${route.source}: Path: ${JSON.stringify(route.path)} is already the path of ${samePath.source}`);
    paths.set(route.path, route);
    const reserved = reservedPaths.find((p) => route.path === p || route.path.startsWith(`${p}/`));
    if (reserved) throw new RouteMappingError(`${route.source}: Path: ${JSON.stringify(route.path)} is reserved by the gateway (${reserved})`);
  }
  return routes;
}
