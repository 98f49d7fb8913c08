// State compatibility, the dynamic half: for each recorded release (test/fixtures/provider-code), a fresh node with
// every concern is brought up with the current code, each resource's stored provider code is swapped for the
// release's (`stack export` / `stack import`: the state an `up` of that release leaves), and then, with the real
// CLI against real servers: `refresh` runs the release's read code, `preview` must show no change (a release that
// would replace or drop state of an existing stack fails here), `up` must keep every output, and `destroy` runs
// the release's delete code, which must really remove what the stack made.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordedReleases } from "../fixtures/provider-code";
import { FullNode } from "../support/full-node";
import { changedNames, expectOk, type RunResult } from "../support/harness";

interface StateResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

const nameOf = (r: StateResource) => r.urn.split("::").pop()!;

/**
 * Recorded types this node does not make, named one by one so that a type cannot drop out of the replay
 * unnoticed: the gateways' (NGINX needs its server and auth service, Kong cannot run here) and the fleet CA's
 * (they need an org stack beside the node). Their recorded code is checked statically by provider-compat.test.ts
 * (every module, member and arity it calls resolves) and their current code by gateway-nginx, kong-gateway and
 * fleet-ca tests; they are not replayed against a live state here.
 */
const NOT_REPLAYED = new Set(
  ["GatewayIdentity", "GatewayUser", "NginxSite", "KongAdminApi", "KongCertificate", "KongRoute", "KongUser", "OrgRootCa", "SignedNodeCa", "NodeCaRequest", "NodeCa"].map(
    (name) => `pulumi-nodejs:dynamic/edge-security:${name}`,
  ),
);

const CA_TYPE = "pulumi-nodejs:dynamic/edge-security:CertificateAuthority";

/**
 * Inputs and outputs whose shape changed after a release: the state that release's `up` leaves holds its own
 * shape, and the current code (which a thin provider forwards to) must still read it. Each entry turns the current
 * shape back into the older one, for releases before the version named.
 */
type Properties = Record<string, unknown>;
const OLDER_SHAPES: { before: string; type: string; reshape(state: { inputs: Properties; outputs: Properties }, ca: Properties): void }[] = [
  {
    // 0.3.0 keeps a service certificate's CA certificate and trust bundle as digests, and leaves the bundle input
    // unset when it is the CA alone; earlier releases copied both and always passed the bundle. (A refresh diffs
    // the refreshed outputs against the stored inputs with the inputs' code, so both halves must be the release's.)
    before: "0.3.0",
    type: "pulumi-nodejs:dynamic/edge-security:ServiceCertificate",
    reshape({ inputs, outputs }, ca) {
      delete outputs.caCertPemSha256;
      delete outputs.trustBundlePemSha256;
      outputs.caCertPem = ca.certPem;
      outputs.trustBundlePem = ca.trustBundlePem;
      inputs.trustBundlePem ??= ca.trustBundlePem;
    },
  },
];

const versionOf = (release: string) => release.split("-")[0].split(".").map(Number);
const isBefore = (release: string, version: string) => {
  const [a, b] = [versionOf(release), versionOf(version)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
};

for (const release of recordedReleases()) {
  describe(`a stack of release ${release.release}, run by the current code`, { timeout: 1_800_000 }, () => {
    let full: FullNode;
    let logs = "";
    const run = async (command: "up" | "preview" | "refresh" | "destroy"): Promise<RunResult> => {
      // Plain `pulumi` typed in the project folder from a clean environment, as a user runs it (the official
      // language host where built): the stored code must load with nothing but Pulumi.yaml's provider host.
      const result = await full.node.cli(command, [], {}, { clean: true });
      logs += `--- ${command}\n${result.stdout}${result.stderr}`;
      return result;
    };
    const resources = (showSecrets = false): StateResource[] => JSON.parse(full.node.exportState({ showSecrets })).deployment.resources ?? [];
    /** Every dynamic resource's outputs as plain values (secrets decrypted), without the provider code. */
    const outputsByName = () =>
      Object.fromEntries(
        resources(true)
          .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
          .map((r) => {
            const { __provider: _code, ...outs } = r.outputs ?? {};
            return [nameOf(r), outs];
          }),
      );
    let before: Record<string, unknown>;

    beforeAll(async () => {
      full = new FullNode(`compat-${release.release.replace(/[^A-Za-z0-9-]/g, "-")}`);
      await full.start();
      expectOk(await run("up"));
      // Swap in the release's provider code, in inputs and outputs, as that release's `up` would have stored it.
      const state = JSON.parse(full.node.exportState());
      let swapped = 0;
      const ca = (state.deployment.resources as StateResource[]).find((r) => r.type === CA_TYPE)!.outputs!;
      for (const r of state.deployment.resources as StateResource[]) {
        const code = release.providers[r.type];
        if (!code) continue;
        if (r.inputs?.__provider) r.inputs.__provider = code;
        if (r.outputs?.__provider) r.outputs.__provider = code;
        for (const shape of OLDER_SHAPES) if (shape.type === r.type && r.inputs && r.outputs && isBefore(release.release, shape.before)) shape.reshape({ inputs: r.inputs, outputs: r.outputs }, ca);
        swapped++;
      }
      expect(swapped).toBeGreaterThan(20);
      const file = join(full.node.root, "release-state.json");
      writeFileSync(file, JSON.stringify(state));
      full.node.pulumi("stack", "import", "--stack", full.node.stack, "--file", file);
      before = outputsByName();
    }, 1_200_000);

    afterAll(async () => {
      if (process.env.EDGE_TEST_VERBOSE) process.stdout.write(logs);
      await full?.stop();
    });

    it("holds every type of that release, with that release's code in the state", () => {
      const types = new Set(resources().map((r) => r.type));
      for (const type of Object.keys(release.providers)) if (!NOT_REPLAYED.has(type)) expect([...types], type).toContain(type);
      for (const r of resources()) if (release.providers[r.type]) expect(r.outputs?.__provider, nameOf(r)).toBe(release.providers[r.type]);
    });

    it("refresh (the release's read code) succeeds and finds nothing changed", async () => {
      const refreshed = expectOk(await run("refresh"));
      expect(refreshed.changeSummary.update ?? 0, logs).toBe(0);
      expect(refreshed.changeSummary.delete ?? 0, logs).toBe(0);
    });

    it("preview shows no change: nothing replaced, updated or dropped", async () => {
      expect(changedNames(expectOk(await run("preview"))), logs).toEqual([]);
    });

    it("up keeps every output of every resource (passwords, keys, certificates)", async () => {
      expectOk(await run("up"));
      const after = outputsByName();
      expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
      for (const [name, outs] of Object.entries(before)) expect(after[name], name).toEqual(outs);
      expect(changedNames(expectOk(await run("preview"))), logs).toEqual([]);
    });

    it("destroy (the release's delete code) removes what the stack made, and keeps the custody file", async () => {
      // The state after `up` holds the current code in outputs where the engine rewrote them: put the release's back.
      const state = JSON.parse(full.node.exportState());
      for (const r of state.deployment.resources as StateResource[]) {
        const code = release.providers[r.type];
        if (code && r.outputs?.__provider) r.outputs.__provider = code;
      }
      const file = join(full.node.root, "release-state-2.json");
      writeFileSync(file, JSON.stringify(state));
      full.node.pulumi("stack", "import", "--stack", full.node.stack, "--file", file);
      expectOk(await run("destroy"));
      expect(resources().filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")), logs).toEqual([]);
      // The service folders' certificates and keys are gone; the store's keys stay in custody.
      for (const service of [full.gateway, full.client]) {
        const dir = join(full.node.secretsRoot, service);
        expect(existsSync(dir) ? readdirSync(dir) : [], service).toEqual([]);
      }
      expect(existsSync(full.custodyFile)).toBe(true);
      // The gateway's database and the service's were dropped by the release's delete code.
      expect(await full.pgDatabases()).toEqual([]);
    });
  });
}
