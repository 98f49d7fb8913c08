// The program's stack formatter against the SDK's own function that takes a stack for every output promise (not a
// look-alike). What it does to the stacks recorded in the state is checked on a real stack in
// test/integration/databases.test.ts.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as debuggable from "@pulumi/pulumi/runtime/debuggable";
import { formatStackTracesWithV8, UNFORMATTED_PROMISE_STACK } from "./stack-traces";

// Internal to the SDK (left out of its type declarations); it is what the SDK calls for every output promise.
const { debuggablePromise } = debuggable as unknown as { debuggablePromise<T>(p: Promise<T>, ctx: string): Promise<T> };

describe("formatStackTracesWithV8", () => {
  const saved = { prepare: Error.prepareStackTrace, leaks: process.env.PULUMI_DEBUG_PROMISE_LEAKS };
  beforeEach(() => {
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    formatStackTracesWithV8();
  });
  afterEach(() => {
    Error.prepareStackTrace = saved.prepare;
    if (saved.leaks === undefined) delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    else process.env.PULUMI_DEBUG_PROMISE_LEAKS = saved.leaks;
  });

  it("leaves an SDK output promise's stack unformatted unless PULUMI_DEBUG_PROMISE_LEAKS asks for it", () => {
    const p = Promise.resolve(1);
    void debuggablePromise(p, "test");
    expect((p as unknown as { _debugStackTrace: string })._debugStackTrace).toBe(`Error\n${UNFORMATTED_PROMISE_STACK}`);

    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
    formatStackTracesWithV8(); // as in a program started with the variable set
    const q = Promise.resolve(2);
    void debuggablePromise(q, "test");
    const full = (q as unknown as { _debugStackTrace: string })._debugStackTrace;
    expect(full).toMatch(/^Error\n    at debuggablePromise \(.*@pulumi\/pulumi\/runtime\/debuggable\.js/);
    expect(full).toContain("stack-traces.test.ts");
  });

  it("formats other errors' stacks in full, frame by frame as V8 prints them", () => {
    const stack = new Error("boom").stack!;
    expect(stack).toMatch(/^Error: boom\n    at .*stack-traces\.test\.ts:\d+:\d+/);
    expect(stack).not.toContain(UNFORMATTED_PROMISE_STACK);
  });
});
