import { describe, expect, it } from "vitest";
import { DEFAULT_CONCURRENCY, FleetUsageError, parseFleetArgs } from "./args";

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
    expect(parseFleetArgs(["up", "--stacks", "n1, n2,n3"])).toEqual({ command: "up", stacks: ["n1", "n2", "n3"], concurrency: DEFAULT_CONCURRENCY, resume: false, json: false, cwd: undefined });
    expect(parseFleetArgs(["preview", "--all", "--concurrency", "5", "--resume", "--json", "--cwd", "/p"])).toEqual({ command: "preview", stacks: undefined, concurrency: 5, resume: true, json: true, cwd: "/p" });
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
});
