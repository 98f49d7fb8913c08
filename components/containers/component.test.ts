// The optional container runtime, with Pulumi's mocks only (no Docker engine or docker provider plugin can run
// here): the graph (one docker container per configured service, under the Containers component), its inputs in
// the docker provider's shape, the read-only mount of the service's own folder, and the dependency on the
// service's readiness file. The config's one-line errors are checked through the node's config parser.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigError, parseNodeConfig } from "../node-config";
import { lookups, recordingMocks, waitForRegistrations } from "../../test/support/recording-mocks";
import { DOCKER_CONTAINER_TYPE } from "./container";

const ROOT = "/run/unit-containers/secrets";
const READY = "pulumi-nodejs:dynamic/edge-security:PlainFile";
const COMPONENT = "edge-security:containers:Containers";

const stack = (containers: unknown) => ({
  secretsRoot: ROOT,
  services: [
    { name: "core-data", hostnames: ["edgex-core-data"], owner: { uid: 2002, gid: 2001 } },
    { name: "core-metadata", hostnames: ["edgex-core-metadata"] },
    { name: "support-notifications" },
  ],
  ...(containers === undefined ? {} : { containers }),
});

async function build(raw: Record<string, unknown>) {
  const registrations = await recordingMocks(() => ({ exitCode: 0 }));
  const { EdgeNode } = await import("../edge-node");
  const node = new EdgeNode("node", { config: parseNodeConfig(raw) });
  await waitForRegistrations();
  return { node, registrations, ...lookups(registrations) };
}

describe("containers (Pulumi mocks only)", { timeout: 60_000 }, () => {
  const images = { "core-data": "registry.example/edgex/core-data:3.1", "core-metadata": "registry.example/edgex/core-metadata:3.1" };

  it("registers one docker container per service with an image, under the Containers component", async () => {
    const { registrations, find, count } = await build(stack({ enabled: true, images, network: "edgex-network" }));
    expect(count(DOCKER_CONTAINER_TYPE)).toBe(2);
    const component = find(COMPONENT, "containers");
    expect(component.parent).toMatch(/edge-security:node:EdgeNode::node$/);
    for (const service of Object.keys(images)) expect(find(DOCKER_CONTAINER_TYPE, `${service}-container`).parent).toBe(component.urn);
    // A service without an image runs no container.
    expect(registrations.some((r) => r.name === "support-notifications-container")).toBe(false);
  });

  it("gives each container the docker provider's inputs: its folder bind-mounted read-only, paths in envs, restart, network", async () => {
    const { find } = await build(stack({ enabled: true, images, network: "edgex-network", restart: "always" }));
    const c = find(DOCKER_CONTAINER_TYPE, "core-data-container");
    expect(c.inputs).toEqual({
      name: "edge-core-data",
      image: "registry.example/edgex/core-data:3.1",
      mounts: [{ type: "bind", source: `${ROOT}/core-data`, target: "/run/secrets/edge-security", readOnly: true }],
      envs: [
        "EDGE_SERVICE=core-data",
        "EDGE_SECRETS_DIR=/run/secrets/edge-security",
        "EDGE_CA_FILE=/run/secrets/edge-security/ca.pem",
        "EDGE_CERT_FILE=/run/secrets/edge-security/cert.pem",
        "EDGE_KEY_FILE=/run/secrets/edge-security/key.pem",
        "EDGE_READY_FILE=/run/secrets/edge-security/ready",
      ],
      restart: "always",
      networksAdvanced: [{ name: "edgex-network", aliases: ["edgex-core-data", "localhost"] }],
      hostname: "edgex-core-data",
      user: "2002:2001",
      readOnly: true,
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      labels: [{ label: "edge-security.service", value: "core-data" }],
      mustRun: true,
    });
    expect(c.deleteBeforeReplace).toBe(true);
    // Only its own folder is visible inside, and only for reading.
    const other = find(DOCKER_CONTAINER_TYPE, "core-metadata-container");
    expect(other.inputs.mounts).toEqual([{ type: "bind", source: `${ROOT}/core-metadata`, target: "/run/secrets/edge-security", readOnly: true }]);
    expect(other.inputs.user).toBeUndefined(); // no owner configured: the image's own user
    expect(other.inputs.restart).toBe("always");
  });

  it("starts each container after its service's readiness file (the container depends on it)", async () => {
    const { find } = await build(stack({ enabled: true, images }));
    for (const service of Object.keys(images)) {
      const ready = find(READY, `${service}-ready`);
      expect(ready.inputs.path).toBe(`${ROOT}/${service}/ready`);
      const container = find(DOCKER_CONTAINER_TYPE, `${service}-container`);
      expect(container.dependencies).toContain(ready.urn);
      expect(container.inputs.networksAdvanced).toBeUndefined(); // no network configured: Docker's default
      expect(container.inputs.restart).toBe("unless-stopped"); // the default policy
    }
    // Not on another service's readiness file.
    expect(find(DOCKER_CONTAINER_TYPE, "core-data-container").dependencies).not.toContain(find(READY, "core-metadata-ready").urn);
  });

  it("asks for the configured docker provider version", async () => {
    const registrations = await recordingMocks(() => ({}));
    const monitor = (pulumi.runtime as unknown as { getMonitor(): any }).getMonitor();
    const versions: Record<string, string> = {};
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
      versions[req.getName()] = req.getVersion();
      return register(req, cb);
    };
    const { EdgeNode } = await import("../edge-node");
    new EdgeNode("node", { config: parseNodeConfig(stack({ enabled: true, images, providerVersion: "v4.5.8" })) });
    await waitForRegistrations();
    expect(registrations.filter((r) => r.type === DOCKER_CONTAINER_TYPE)).toHaveLength(2);
    expect(versions["core-data-container"]).toBe("4.5.8");
  });

  it("registers nothing when containers are absent or not enabled", async () => {
    for (const raw of [stack(undefined), stack({ enabled: false, images })]) {
      const { registrations } = await build(raw);
      expect(registrations.filter((r) => r.type === DOCKER_CONTAINER_TYPE || r.type === COMPONENT)).toEqual([]);
    }
  });

  it("refuses bad config in one line naming the key, before any resource", () => {
    const error = (containers: unknown) => {
      try {
        parseNodeConfig(stack(containers));
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      return "no error";
    };
    expect(error({ enabled: true, images: { "core-dta": "x/y:1" } })).toBe(
      'edge-security:containers.images.core-dta: "core-dta" is not a service of this stack (services: core-data, core-metadata, support-notifications)',
    );
    expect(error({ enabled: true })).toBe("edge-security:containers.images: must name an image for at least one service when containers.enabled is true");
    expect(error({ enabled: true, images: { "core-data": "has space:1" } })).toBe(
      "edge-security:containers.images.core-data: must be an image reference such as registry.example/edgex/core-data:3.1 (no spaces)",
    );
    expect(error({ enabled: true, images, restart: "sometimes" })).toBe("edge-security:containers.restart: must be one of no, on-failure, always, unless-stopped");
    expect(error({ enabled: true, images, mountPath: "relative" })).toBe("edge-security:containers.mountPath: must be an absolute path");
    expect(error({ enabled: true, images, mountPath: "/" })).toBe('edge-security:containers.mountPath: "/" must be a folder of its own inside the container');
    expect(error({ enabled: true, images, volumes: [] })).toBe("edge-security:containers.volumes: is not a known setting");
  });
});
