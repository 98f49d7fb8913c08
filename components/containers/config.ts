// The optional container runtime's config (`edge-security:containers`): which image runs each service, and how.
// No Pulumi in here: the schema, its defaults and one-line errors that name the key.
import { z } from "zod";

/** Docker's restart policies (the docker provider's `restart` input). */
export const RESTART_POLICIES = ["no", "on-failure", "always", "unless-stopped"] as const;

// An image reference: [registry/]name[:tag][@digest], no spaces; Docker itself checks the rest when it pulls.
const IMAGE = /^[a-z0-9][a-z0-9._\/:-]*(@sha256:[a-f0-9]{64})?$/i;
const NETWORK = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;

export const containersSchema = z
  .object({
    /** Off by default: the section can stay in the stack file while containers are run some other way. */
    enabled: z.boolean().default(false),
    /** One image per service that runs as a container; services without an image get no container. */
    images: z.record(z.string().regex(IMAGE, "must be an image reference such as registry.example/edgex/core-data:3.1 (no spaces)")).default({}),
    /** Where the service's folder appears inside its container (read-only). */
    mountPath: z.string().startsWith("/", "must be an absolute path").default("/run/secrets/edge-security"),
    restart: z.enum(RESTART_POLICIES, { errorMap: () => ({ message: `must be one of ${RESTART_POLICIES.join(", ")}` }) }).default("unless-stopped"),
    /** A Docker network every container joins, with its service's DNS names as aliases (none: Docker's default bridge). */
    network: z.string().regex(NETWORK, "must be a Docker network name").optional(),
    /** The docker provider plugin version to use (installed on the node beforehand; nothing downloads it). */
    providerVersion: z.string().regex(VERSION, "must be a version such as 4.5.8").optional(),
  })
  .strict();

export type ContainersSection = z.infer<typeof containersSchema>;

export interface ContainersConfig {
  images: Record<string, string>;
  mountPath: string;
  restart: (typeof RESTART_POLICIES)[number];
  network?: string;
  providerVersion?: string;
}

/** The checked config, or undefined when containers are off. `fail` throws the one-line error for a key path. */
export function resolveContainers(section: ContainersSection, serviceNames: string[], fail: (path: (string | number)[], message: string) => never): ContainersConfig | undefined {
  if (!section.enabled) return undefined;
  for (const service of Object.keys(section.images)) {
    if (!serviceNames.includes(service)) fail(["containers", "images", service], `${JSON.stringify(service)} is not a service of this stack (services: ${serviceNames.join(", ")})`);
  }
  if (Object.keys(section.images).length === 0) fail(["containers", "images"], "must name an image for at least one service when containers.enabled is true");
  if (section.mountPath === "/" || section.mountPath.includes("..")) fail(["containers", "mountPath"], `${JSON.stringify(section.mountPath)} must be a folder of its own inside the container`);
  return {
    images: section.images,
    mountPath: section.mountPath.replace(/\/+$/, ""),
    restart: section.restart,
    ...(section.network ? { network: section.network } : {}),
    ...(section.providerVersion ? { providerVersion: section.providerVersion.replace(/^v/, "") } : {}),
  };
}
