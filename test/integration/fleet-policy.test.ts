// The fleet command with --policy-pack for real: two PKI-only node stacks, one of which breaks a rule of the
// project's pack (components/fleet/policy), run by bin/fleet.ts (Automation API -> the real CLI, which starts the
// pack through the language host in tools/bin, as `pulumi preview --policy-pack` does).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byStack, FleetProject, FleetResult } from "../support/fleet-project";
import { PROJECT_ROOT } from "../support/harness";

const PACK = join(PROJECT_ROOT, "components/fleet/policy");
const VIOLATION = "policy certificate-max-lifetime: svc-a-cert: service certificate lifetime of 800 days is over the maximum of 398 days (policy config maxServiceLifetimeDays)";
const describeResult = (r: FleetResult) => `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe("fleet command with a policy pack", { timeout: 1_800_000 }, () => {
  const fleet = new FleetProject();

  beforeAll(() => {
    fleet.addNode("pol-ok", { services: [{ name: "svc-a" }] });
    // An 800-day service certificate: the pack's default maximum is 398 days.
    fleet.addNode("pol-long", { services: [{ name: "svc-a", lifetimeDays: 800 }] });
  });
  afterAll(() => fleet.cleanup());

  it("refuses a missing pack folder in one line before any node runs", async () => {
    const missing = join(fleet.root, "no-such-pack");
    const result = await fleet.run(["preview", "--all", "--policy-pack", missing]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`fleet: --policy-pack: ${JSON.stringify(missing)} does not exist\n`);
    // No node ran: no stack was made in the backend, no journal was written.
    expect(readdirSync(fleet.backend)).toEqual([]);
  });

  it("without the pack both nodes preview fine: the pack is what refuses the long-lived certificate", async () => {
    const plain = await fleet.run(["preview", "--all", "--json"]);
    expect(plain.status, describeResult(plain)).toBe(0);
    expect(plain.report!.nodes.map((n) => n.result)).toEqual(["ok", "ok"]);
  });

  for (const command of ["preview", "up"] as const) {
    it(`${command}: fails the node that breaks a rule with the policy's message, and the other node runs the pack and passes`, async () => {
      const run = await fleet.run([command, "--stacks", "pol-long,pol-ok", "--concurrency", "1", "--policy-pack", PACK, "--json"]);
      expect(run.status, describeResult(run)).toBe(1);
      const nodes = byStack(run.report!);
      expect(nodes["pol-long"]).toMatchObject({ result: "failed", error: VIOLATION });
      expect(nodes["pol-ok"].result, nodes["pol-ok"].error ?? "").toBe("ok");
      expect(run.stderr).toContain(`fleet: failed: pol-long: ${VIOLATION}\n`);
      expect(run.stderr).toMatch(/fleet: 1 of 2 node\(s\) failed: pol-long \(full output of each: .*\)\n/);
      // The good node ran the pack too (the CLI lists the packs it ran), and nothing of the refused node was made.
      expect(readFileSync(join(run.report!.logs, "pol-ok.log"), "utf8")).toMatch(/Policies:\s+✅ edge-security@v0\.1\.0/);
      if (command === "up") {
        expect(existsSync(join(fleet.secretsRoot("pol-ok"), "svc-a", "cert.pem"))).toBe(true);
        expect(existsSync(join(fleet.secretsRoot("pol-long"), "svc-a", "cert.pem"))).toBe(false);
      }
    });
  }
});
