// The policy pack (components/fleet/policy) with the real CLI: `pulumi preview --policy-pack` typed in a temp
// project. The CLI starts the pack through the Node.js language host's RunPlugin; the host is this checkout's
// (bin/language-host.ts), put first on PATH as scripts/setup.sh installs it, so the test runs the code beside it.
// Previews only: the PKI and the config store register their resources without any server.
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { expectOk, PROJECT_ROOT, TestNode } from "../support/harness";

const PACK = join(PROJECT_ROOT, "components/fleet/policy");
const nodes: TestNode[] = [];
let env: Record<string, string>;

/** A temp project with the example stack's files (routes, default config) where the stack file names them. */
function project(stack: string): TestNode {
  const node = new TestNode(stack);
  nodes.push(node);
  for (const dir of ["edgex-node", "eii-node"]) symlinkSync(join(PROJECT_ROOT, "stacks", dir), join(node.projectDir, "stacks", dir));
  return node;
}

/** An example stack file's edge-security settings (keys without the namespace). */
const example = (stack: string): Record<string, any> =>
  Object.fromEntries(Object.entries(parseYaml(readFileSync(join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")).config).map(([k, v]) => [k.replace(/^edge-security:/, ""), v]));

const preview = (node: TestNode, ...extra: string[]) => node.cli("preview", ["--policy-pack", PACK, ...extra], env);

beforeAll(() => {
  // The language host as scripts/setup.sh installs it, pointing at this checkout.
  const bin = join(project("launcher").root, "bin");
  mkdirSync(bin);
  const host = join(bin, "pulumi-language-nodejs");
  writeFileSync(host, `#!/bin/sh\nexec node --require "${require.resolve("tsx/cjs")}" "${join(PROJECT_ROOT, "bin/language-host.ts")}" "$@"\n`);
  chmodSync(host, 0o755);
  env = { PATH: `${bin}:${join(PROJECT_ROOT, "tools/bin")}:${process.env.PATH}` };
});
afterAll(() => nodes.forEach((n) => n.cleanup()));

describe("the policy pack on the real CLI", { timeout: 600_000 }, () => {
  it("refuses a stack whose certificate outlives the maximum, with the rule's message, and passes it under a larger configured maximum", async () => {
    const node = project("policy-lifetime");
    node.configure({ services: [{ name: "svc-a", lifetimeDays: 800 }] });
    const refused = await preview(node);
    expect(refused.status).not.toBe(0);
    expect(refused.stdout).toContain("[mandatory]  certificate-max-lifetime");
    expect(refused.stdout).toContain("svc-a-cert: service certificate lifetime of 800 days is over the maximum of 398 days (policy config maxServiceLifetimeDays)");

    const config = join(node.root, "policy-config.json");
    writeFileSync(config, JSON.stringify({ "certificate-max-lifetime": { maxServiceLifetimeDays: 900 } }));
    const allowed = expectOk(await preview(node, "--policy-pack-config", config));
    expect(allowed.stdout).not.toContain("certificate-max-lifetime");
  });

  it("refuses DEV_MODE in a stack tagged production, and allows it untagged", async () => {
    const node = project("policy-devmode");
    node.configure({
      services: [{ name: "etcd" }, { name: "app" }],
      configStore: { service: "etcd", devMode: true, endpoint: "http://127.0.0.1:1", prefix: "/dev" },
    });
    const untagged = expectOk(await preview(node));
    expect(untagged.stdout).not.toContain("no-dev-mode-in-production");
    node.pulumi("stack", "tag", "set", "edge-security:production", "true", "--stack", node.stack);
    const refused = await preview(node);
    expect(refused.status).not.toBe(0);
    expect(refused.stdout).toContain("[mandatory]  no-dev-mode-in-production");
    expect(refused.stdout).toContain("DEV_MODE is on (configStore.devMode: true) in a production stack");
  });

  it("passes the example eii-node stack (PKI and config store) and the PKI of the example local stack", async () => {
    const eii = project("eii-node");
    const { secretsRoot: _eiiRoot, ...eiiConfig } = example("eii-node");
    eii.configure(eiiConfig);
    const eiiRun = expectOk(await preview(eii));
    expect(eiiRun.stdout).toMatch(/Policies:\s+✅ edge-security@v0\.1\.0/);
    expect(eiiRun.steps.some((s) => s.type === "pulumi-nodejs:dynamic/edge-security:EtcdKeys")).toBe(true);

    // The local stack's databases are checked against their servers before any resource: its PKI part only.
    const local = project("local");
    const { pki, services } = example("local");
    local.configure({ pki, services });
    const localRun = expectOk(await preview(local));
    expect(localRun.stdout).toMatch(/Policies:\s+✅ edge-security@v0\.1\.0/);
    expect(localRun.steps.filter((s) => s.type === "pulumi-nodejs:dynamic/edge-security:ServiceCertificate")).toHaveLength(services.length);
  });
});
