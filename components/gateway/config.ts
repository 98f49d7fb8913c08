// The stack config's `gateway` section: which gateway (Kong or NGINX), its service (whose certificate the secret
// store keeps), and the route mapping both kinds read. No Pulumi in here.
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { checkRoutes, extraRoute, extraRouteSchema, readRouteFile, Route, RouteMappingError } from "./routes";
import { KONG_RESERVED_PATHS, KongGatewayConfig, kongGatewaySchema } from "./kong/config";
import { NGINX_RESERVED_PATHS, NginxGatewayConfig, nginxGatewaySchema } from "./nginx/config";

export const gatewaySchema = z
  .object({
    kind: z.enum(["kong", "nginx"], { errorMap: () => ({ message: `must be "kong" or "nginx"` }) }),
    /** The gateway's service in `services` (its certificate is stored in the secret store); default: the kind. */
    service: z.string().optional(),
    /** EdgeX's route mapping (`[Routes.<name>]`); a relative path is taken from the project folder. */
    routesFile: z.string().min(1, "must name a file").optional(),
    extraRoutes: z.array(extraRouteSchema).default([]),
    kong: kongGatewaySchema.optional(),
    nginx: nginxGatewaySchema.optional(),
  })
  .strict();

export type GatewaySection = z.infer<typeof gatewaySchema>;

export interface GatewayConfig {
  kind: "kong" | "nginx";
  service: string;
  /** The absolute path of the route file, when one is named. */
  routesFile?: string;
  routes: Route[];
  kong?: KongGatewayConfig;
  nginx?: NginxGatewayConfig;
}

type Fail = (path: (string | number)[], message: string) => never;

/**
 * Resolves the section: the service (must be in `services` and be the secret store's gateway service), the
 * routes from the file and the extra routes, checked together. `storeGatewayService` is what the secretStore
 * section names (undefined when it names none).
 */
export function resolveGateway(section: GatewaySection, serviceNames: string[], hasSecretStore: boolean, storeGatewayService: string | undefined, fail: Fail): GatewayConfig {
  if (!hasSecretStore) fail(["gateway"], "needs secretStore (the gateway's certificate and key are read back from it)");
  const service = section.service ?? storeGatewayService ?? section.kind;
  if (!serviceNames.includes(service)) fail(["gateway", "service"], `${JSON.stringify(service)} is not in services (the gateway's TLS certificate is that service's)`);
  if (storeGatewayService !== undefined && storeGatewayService !== service) fail(["gateway", "service"], `${JSON.stringify(service)} differs from secretStore.gatewayService (${JSON.stringify(storeGatewayService)})`);
  if (!section.routesFile && section.extraRoutes.length === 0) fail(["gateway", "routesFile"], "is required (or give gateway.extraRoutes): a gateway needs at least one route");
  const routesFile = section.routesFile && (isAbsolute(section.routesFile) ? section.routesFile : resolve(section.routesFile));
  let routes: Route[] = [];
  try {
    routes = checkRoutes(
      [...(routesFile ? readRouteFile(routesFile) : []), ...section.extraRoutes.map((r, i) => extraRoute(r, `extraRoutes[${i}]`))],
      section.kind === "kong" ? KONG_RESERVED_PATHS : NGINX_RESERVED_PATHS,
    );
  } catch (err) {
    if (err instanceof RouteMappingError) fail(["gateway"], err.message);
    throw err;
  }
  return { kind: section.kind, service, ...(routesFile ? { routesFile } : {}), routes, ...(section.kong ? { kong: section.kong } : {}), ...(section.nginx ? { nginx: section.nginx } : {}) };
}
