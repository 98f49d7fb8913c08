// The components as a library: a throwaway Pulumi program outside the project folder, with its own names and a
// component of its own, installs the package as `npm pack` makes it and builds a node (PKI only, no servers) with
// plain `pulumi` from a clean environment, with each language host: up, a preview with no changes, destroy.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventSummary, HOST_DIRS, HostKind, OFFICIAL_HOST_BUILT, openssl, PROJECT_ROOT } from "../support/harness";
import { sharedPath } from "../support/shared";

const HOSTS: HostKind[] = ["project"];
if (sharedPath("pulumi-language-nodejs", "the library program with Pulumi's official language host") && OFFICIAL_HOST_BUILT) HOSTS.unshift("official");

/** The user's program: their names, a component of their own as the parent, the node from the package's entry point. */
const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { EdgeNode, parseNodeConfig } from "@edge-security/clients";

class Site extends pulumi.ComponentResource {
  constructor(name: string) {
    super("acme:site:Site", name, {});
  }
}

const cfg = new pulumi.Config();
const site = new Site("factory-7");
const node = new EdgeNode("gateway-box", { config: parseNodeConfig({ secretsRoot: cfg.require("root"), services: [{ name: "historian" }, { name: "opcua", hostnames: ["opcua.factory-7"] }] }) }, { parent: site });
export const caCert = node.outputs.caCertPath;
export const services = node.outputs.services;
`;

const PULUMI_YAML = `name: acme-site
runtime:
  name: nodejs
  options:
    typescript: false
    nodeargs: --require @edge-security/clients/typescript
plugins:
  providers:
    - name: pulumi-nodejs
      path: node_modules/@edge-security/clients/shared/provider-host
`;

describe("the components in a program of one's own (npm pack, plain pulumi, clean environment)", { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "edge-lib-"));
  const program = join(root, "acme-site");

  beforeAll(() => {
    // The package as npm packs it, unpacked where npm would put it; its dependencies are the project's installed
    // ones (linked: no registry), everything but the workspace's own link.
    const tarball = execFileSync("npm", ["pack", "--pack-destination", root, "--silent"], { cwd: join(PROJECT_ROOT, "components"), encoding: "utf8" }).trim().split("\n").pop()!;
    const modules = join(program, "node_modules");
    mkdirSync(join(modules, "@edge-security", "clients"), { recursive: true });
    execFileSync("tar", ["-xzf", join(root, tarball), "-C", join(modules, "@edge-security", "clients"), "--strip-components=1"]);
    for (const entry of readdirSync(join(PROJECT_ROOT, "node_modules"))) if (entry !== "@edge-security") symlinkSync(join(PROJECT_ROOT, "node_modules", entry), join(modules, entry));
    writeFileSync(join(program, "Pulumi.yaml"), PULUMI_YAML);
    writeFileSync(join(program, "index.ts"), PROGRAM);
    writeFileSync(join(program, "package.json"), JSON.stringify({ name: "acme-site", private: true, main: "index.ts", dependencies: { "@edge-security/clients": `file:${tarball}` } }, null, 2));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe.each(HOSTS)("%s language host", (host) => {
    const state = join(root, `state-${host}`);
    const secrets = join(root, `secrets-${host}`);
    const env = () => {
      mkdirSync(join(root, "home"), { recursive: true });
      mkdirSync(state, { recursive: true });
      return { PATH: [HOST_DIRS[host], dirname(process.execPath), "/usr/bin", "/bin"].join(delimiter), HOME: join(root, "home"), PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "library-test", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DEBUG_COMMANDS: "true" };
    };
    const pulumi = (...args: string[]) => execFileSync(join(HOST_DIRS[host], "pulumi"), [...args, "--non-interactive"], { cwd: program, encoding: "utf8", env: env(), stdio: ["ignore", "pipe", "pipe"] });
    /** A run that takes long, asynchronously: a long synchronous child would block the test worker's event loop. */
    const run = async (...args: string[]) => {
      const log = join(root, `events-${host}.jsonl`);
      rmSync(log, { force: true });
      await promisify(execFile)(join(HOST_DIRS[host], "pulumi"), [...args, "--non-interactive", "--color", "never", "--event-log", log], { cwd: program, encoding: "utf8", env: env(), maxBuffer: 64 * 1024 * 1024 });
      return eventSummary(existsSync(log) ? readFileSync(log, "utf8") : "");
    };

    it("up builds the node under the program's own names; preview shows no changes; destroy removes it", async () => {
      pulumi("stack", "init", "dev", "--secrets-provider", "passphrase");
      pulumi("config", "set", "--plaintext", "root", secrets);
      await run("up", "--yes", "--skip-preview");
      expect(openssl("verify", "-CAfile", join(secrets, "ca.pem"), join(secrets, "opcua", "cert.pem"))).toContain(": OK");
      const urns: string[] = JSON.parse(pulumi("stack", "export")).deployment.resources.map((r: { urn: string }) => r.urn);
      expect(urns).toContain("urn:pulumi:dev::acme-site::acme:site:Site$edge-security:node:EdgeNode::gateway-box");
      expect(JSON.parse(pulumi("stack", "output", "--json")).caCert).toBe(join(secrets, "ca.pem"));
      expect((await run("preview", "--expect-no-changes")).steps).toEqual([]);
      await run("destroy", "--yes");
      expect(existsSync(join(secrets, "opcua"))).toBe(false);
    });
  });
});
