// The stack config's `gateway.kong` section (used when gateway.kind is "kong"). Filled by the Kong gateway work.
import { z } from "zod";

export const kongGatewaySchema = z.object({}).strict();
export type KongGatewayConfig = z.infer<typeof kongGatewaySchema>;

/** Gateway paths Kong keeps for itself; a route may not use them. */
export const KONG_RESERVED_PATHS: readonly string[] = [];
