// The stack config's `gateway.nginx` section (used when gateway.kind is "nginx"). Filled by the NGINX gateway work.
import { z } from "zod";

export const nginxGatewaySchema = z.object({}).strict();
export type NginxGatewayConfig = z.infer<typeof nginxGatewaySchema>;

/** Gateway paths NGINX keeps for itself (e.g. the token endpoints passed through to the store). */
export const NGINX_RESERVED_PATHS: readonly string[] = [];
