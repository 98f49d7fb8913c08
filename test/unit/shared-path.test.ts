import { describe, expect, it, vi } from "vitest";
import { SHARED_DIR, sharedPath } from "../support/shared";

describe("sharedPath", () => {
  it("finds a path that exists under the shared folder", () => {
    // The contracts are always in ../shared where it is present; where it is not, this test has nothing to find.
    const found = sharedPath("README.md", "this check", {});
    if (found) expect(found).toBe(`${SHARED_DIR}/README.md`);
  });

  it("skips an absent path with one printed reason, and throws under CI=true", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(sharedPath("no/such/file", "the missing-file check", {})).toBeUndefined();
    expect(sharedPath("no/such/file", "the missing-file check", {})).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/no\/such\/file is absent: the missing-file check not run/);
    warn.mockRestore();
    expect(() => sharedPath("no/such/file", "the missing-file check", { CI: "true" })).toThrow(/under CI=true that is an error/);
  });
});
