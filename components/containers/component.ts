// The optional container runtime: each configured service runs as a Docker container with its own folder
// bind-mounted read-only, and starts only after its readiness file is written (the container depends on it), so
// the service never starts on half-written certificates or tokens. Tested with Pulumi's mocks only: no Docker
// engine or docker provider plugin runs where this project is built (docs/containers.md).
import { join } from "node:path";
import * as pulumi from "../shared/pulumi";
import { SERVICE_FILES } from "../shared/files";
import type { ContainersConfig } from "./config";
import { DockerContainer } from "./container";

export interface ContainerService {
  name: string;
  /** The service's folder on the host (certificate, key, CA, tokens, readiness file). */
  dir: string;
  dnsNames: string[];
  owner: { uid?: number; gid?: number };
  /** What the container waits for: the service's readiness file resource. */
  ready: pulumi.Resource;
  /** More environment for the container (a layout's settings, e.g. EII's ConfigMgr variables); paths only, no secret. */
  env?: Record<string, string>;
}

export interface ContainersArgs {
  config: ContainersConfig;
  services: ContainerService[];
}

/** The label that names the service of a container (for operators' `docker ps --filter`). */
export const SERVICE_LABEL = "edge-security.service";

export class Containers extends pulumi.ComponentResource {
  readonly containers: Record<string, DockerContainer> = {};

  constructor(name: string, args: ContainersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:containers:Containers", name, {}, opts);
    const { config } = args;
    for (const service of args.services) {
      const image = config.images[service.name];
      if (image === undefined) continue;
      const inContainer = (file: string) => `${config.mountPath}/${file}`;
      this.containers[service.name] = new DockerContainer(
        `${service.name}-container`,
        {
          name: `edge-${service.name}`,
          image,
          // Only the service's own folder, read-only: the service reads its files, never changes them; no other
          // service's secrets are visible inside.
          mounts: [{ type: "bind", source: service.dir, target: config.mountPath, readOnly: true }],
          // Paths only: no secret is passed in the environment (`docker inspect` would show it).
          envs: [
            `EDGE_SERVICE=${service.name}`,
            `EDGE_SECRETS_DIR=${config.mountPath}`,
            `EDGE_CA_FILE=${inContainer(SERVICE_FILES.caCert)}`,
            `EDGE_CERT_FILE=${inContainer(SERVICE_FILES.cert)}`,
            `EDGE_KEY_FILE=${inContainer(SERVICE_FILES.key)}`,
            `EDGE_READY_FILE=${inContainer(SERVICE_FILES.ready)}`,
            ...Object.entries(service.env ?? {}).map(([k, v]) => `${k}=${v}`),
          ],
          restart: config.restart,
          ...(config.network ? { networksAdvanced: [{ name: config.network, aliases: service.dnsNames }] } : {}),
          hostname: service.dnsNames[0] ?? service.name,
          // The folder's owner, so that the process can read its 0600 files (the image's user otherwise).
          ...(service.owner.uid !== undefined ? { user: service.owner.gid !== undefined ? `${service.owner.uid}:${service.owner.gid}` : `${service.owner.uid}` } : {}),
          readOnly: true,
          capabilities: { drops: ["ALL"] },
          securityOpts: ["no-new-privileges:true"],
          labels: [{ label: SERVICE_LABEL, value: service.name }],
          mustRun: true,
        },
        {
          parent: this,
          // Started after the readiness file, which is written last in the service's folder.
          dependsOn: [service.ready],
          // A new image or mount replaces the container; the new one starts before the old one is removed only
          // if names differ, so remove first (the name is fixed).
          deleteBeforeReplace: true,
          ...(config.providerVersion ? { version: config.providerVersion } : {}),
        },
      );
    }
    this.registerOutputs({ containers: Object.fromEntries(Object.entries(this.containers).map(([s, c]) => [s, c.name])) });
  }
}

/** The host folder of a service (where the PKI writes its files). */
export const serviceDir = (secretsRoot: string, service: string) => join(secretsRoot, service);
