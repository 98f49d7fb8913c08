import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_CONCURRENCY, FleetUsageError, parseFleetArgs } from "./args";

const PACK = join(__dirname, "policy");
const scratch = mkdtempSync(join(tmpdir(), "edge-unit-fleet-args-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const fails = (argv: string[]) => {
  try {
    parseFleetArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(FleetUsageError);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error(`parseFleetArgs(${argv.join(" ")}) did not fail`);
};

describe("fleet arguments", () => {
  it("reads a command, the stacks in order, and the defaults", () => {
    expect(parseFleetArgs(["up", "--stacks", "n1, n2,n3"])).toEqual({ command: "up", stacks: ["n1", "n2", "n3"], concurrency: DEFAULT_CONCURRENCY, resume: false, json: false, cwd: undefined, policyPacks: [] });
    expect(parseFleetArgs(["preview", "--all", "--concurrency", "5", "--resume", "--json", "--cwd", "/p"])).toEqual({ command: "preview", stacks: undefined, concurrency: 5, resume: true, json: true, cwd: "/p", policyPacks: [] });
    expect(parseFleetArgs(["refresh", "-s", "a", "-c", "1"]).concurrency).toBe(1);
    expect(parseFleetArgs(["up", "--stacks=a.b_c-1"]).stacks).toEqual(["a.b_c-1"]);
  });

  it("refuses each mistake with one line naming the argument", () => {
    expect(fails([])).toMatch(/^a command is required; usage: fleet <preview\|up\|refresh>/);
    expect(fails(["destroy", "--all"])).toMatch(/^command: "destroy" is not one of preview, up, refresh/);
    expect(fails(["up", "extra", "--all"])).toMatch(/^command: "up extra" is not one of/);
    expect(fails(["up"])).toMatch(/^--stacks a,b,c or --all is required/);
    expect(fails(["up", "--all", "--stacks", "a"])).toBe("--stacks and --all: give one of them, not both");
    expect(fails(["up", "--stacks", "a,,b"])).toBe('--stacks: "" is not a stack name (letters, digits, \'-\', \'_\', \'.\')');
    expect(fails(["up", "--stacks", "org/proj/a"])).toMatch(/^--stacks: "org\/proj\/a" is not a stack name/);
    expect(fails(["up", "--stacks", "a,b,a"])).toBe("--stacks: a is named twice");
    for (const bad of ["0", "-1", "2.5", "two", "65", ""]) expect(fails(["up", "--all", `--concurrency=${bad}`])).toBe(`--concurrency: ${JSON.stringify(bad)} is not a whole number from 1 to 64`);
    expect(fails(["up", "--all", "--concurrency", "-1"])).toMatch(/^Option '--concurrency' argument is ambiguous; usage: fleet/);
    expect(fails(["up", "--all", "--parallel", "3"])).toMatch(/^Unknown option '--parallel'; usage: fleet/);
    expect(fails(["up", "--all", "--concurrency"])).toMatch(/--concurrency/);
  });

  it("takes --policy-pack folders, repeated, in order, made absolute (the CLI runs in the project folder)", () => {
    const other = join(scratch, "other-pack");
    mkdirSync(other);
    writeFileSync(join(other, "PulumiPolicy.yaml"), "runtime: nodejs\n");
    expect(parseFleetArgs(["up", "--all", "--policy-pack", relative(process.cwd(), PACK)]).policyPacks).toEqual([PACK]);
    expect(parseFleetArgs(["preview", "-s", "a", "--policy-pack", other, `--policy-pack=${PACK}`]).policyPacks).toEqual([other, PACK]);
  });

  it("refuses a --policy-pack that is not a pack folder, or with refresh, in one line naming it", () => {
    const missing = join(scratch, "no-such-pack");
    expect(fails(["up", "--all", "--policy-pack", missing])).toBe(`--policy-pack: ${JSON.stringify(missing)} does not exist`);
    expect(fails(["up", "--all", "--policy-pack", ""])).toBe('--policy-pack: "" does not exist');
    const empty = join(scratch, "empty");
    mkdirSync(empty);
    expect(fails(["preview", "--all", "--policy-pack", PACK, "--policy-pack", empty])).toBe(`--policy-pack: ${empty} is not a policy pack folder (no PulumiPolicy.yaml in it)`);
    expect(fails(["up", "--all", "--policy-pack", join(PACK, "PulumiPolicy.yaml")])).toBe(`--policy-pack: ${join(PACK, "PulumiPolicy.yaml")} is not a policy pack folder (no PulumiPolicy.yaml in it)`);
    expect(fails(["refresh", "--all", "--policy-pack", PACK])).toBe("--policy-pack: applies to preview and up only (pulumi refresh runs no policy pack)");
    expect(fails(["up", "--all", "--policy-pack"])).toMatch(/--policy-pack/);
  });
});
