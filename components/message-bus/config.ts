// The message bus's settings: an MQTT broker (scripts/servers/mosquitto.sh) that is one of the node's services
// (its folder holds its certificate from the node's PKI, its password file and its ACL), and how clients reach it.
// Its users are {username, password} secrets kept in the secret store (a layout names which: `users`).
import { isIP } from "node:net";
import { z } from "zod";

export const messageBusSchema = z
  .object({
    // The broker's service in `services`: its folder and certificate.
    service: z.string().min(1).default("mqtt-broker"),
    // The address clients connect to: a name or IP address in the broker's certificate (hostnames/extraSans).
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).default(8883),
    // TLS with the broker's certificate (clients check it against the node CA); false: plain MQTT, passwords in clear.
    tls: z.boolean().default(true),
    // Topic filters every bus user may publish and subscribe to (the ACL).
    topics: z.array(z.string().min(1)).min(1).default(["#"]),
    // The running broker's pid file: SIGHUP after its password file or ACL changed (a rotation takes effect at once).
    pidFile: z.string().refine((p) => p.startsWith("/"), "must be an absolute path").optional(),
  })
  .strict();

/** A bus user: the store's known secret of that id ({username, password}). */
export interface MessageBusUserSpec {
  secretId: string;
}

export type MessageBusConfig = z.infer<typeof messageBusSchema> & { users: MessageBusUserSpec[] };

type Fail = (path: (string | number)[], message: string) => never;

/** The broker must be a service of the node, and the address its clients use a name in its certificate. */
export function resolveMessageBus(bus: z.infer<typeof messageBusSchema>, services: { name: string; dnsNames: string[]; ipAddresses: string[] }[], fail: Fail): z.infer<typeof messageBusSchema> {
  const server = services.find((s) => s.name === bus.service);
  if (!server) return fail(["messageBus", "service"], `${JSON.stringify(bus.service)} is not in services (the broker's certificate, password file and ACL go in its folder)`);
  const names = isIP(bus.host) === 0 ? server.dnsNames : server.ipAddresses;
  if (bus.tls && !names.includes(bus.host)) fail(["messageBus", "host"], `${JSON.stringify(bus.host)} is not in ${bus.service}'s certificate (${[...server.dnsNames, ...server.ipAddresses].join(", ")}): add it to that service's hostnames or extraSans`);
  return bus;
}

/** The URL clients use: tls://host:port, or tcp:// without TLS. */
export function brokerUrl(bus: { host: string; port: number; tls: boolean }): string {
  const host = isIP(bus.host) === 6 ? `[${bus.host}]` : bus.host;
  return `${bus.tls ? "tls" : "tcp"}://${host}:${bus.port}`;
}
