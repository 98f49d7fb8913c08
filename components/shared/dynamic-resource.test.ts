// The provider helper: what a thin provider serializes to (the bytes every resource's state carries twice), that
// it forwards to its implementation module by name, and the one comparison of inputs.
import Module from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProvider, serializedProviderMocks } from "../../test/fixtures/provider-code";
import { changedKeys, thinProvider } from "./dynamic-resource";

const { register } = Module.createRequire(__filename)("tsx/cjs/api") as { register(): () => void };

describe("thinProvider", () => {
  let unregister: () => void;
  let code: string;
  beforeAll(async () => {
    unregister = register();
    const serialized = await serializedProviderMocks("thin");
    const { PlainFile } = await import("./plain-file");
    new PlainFile("file", { path: "/nowhere/file", content: "x" });
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    code = serialized["pulumi-nodejs:dynamic/edge-security:PlainFile"];
  }, 60_000);
  afterAll(() => unregister?.());

  it("serializes to stubs that capture only the implementation's subpath (under 1.5 KB for four methods)", () => {
    // Printed so a reviewer sees exactly what every PlainFile's state stores twice.
    console.log(`PlainFile __provider, ${code.length} bytes:\n${code}`);
    expect(code.length).toBeLessThan(1500);
    const captured = [...code.matchAll(/with\(\{ ([^)]*) \}\)/g)].map((m) => m[1].replace(/, this: undefined, arguments: undefined$/, ""));
    // The subpath, the shared forwarder (every stub), the provider object (the handler): nothing else.
    expect(new Set(captured)).toEqual(new Set(['subpath: "@edge-security/clients/providers/shared/plain-file"', "call: __f2", "provider: __provider"]));
    // Pulumi's wrapper is ~170 bytes a function: the 0.1.0 release's PlainFile was 2011 bytes, its logic inline.
    expect(code).not.toMatch(/writeFileAtomically|fileState/);
  });

  it("has exactly the implementation's methods, each forwarding to it", async () => {
    const loaded = loadProvider(code);
    const { provider } = await import("./plain-file.provider");
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(provider).sort());
    const diff = await loaded.diff!("id", { path: "/nowhere/a", content: "x" }, { path: "/nowhere/a", content: "y" });
    expect(diff.replaces).toEqual(["content", "onDisk"]);
  });

  it("is one object per implementation (Pulumi caches a serialization per object)", () => {
    expect(thinProvider("shared/plain-file", ["create", "diff"])).toBe(thinProvider("shared/plain-file", ["create", "diff"]));
  });
});

describe("changedKeys", () => {
  it("treats absent, null and empty as one value, objects by content whatever their key order", () => {
    const olds = { a: "", b: null, c: { x: 1, y: [1, 2] }, d: 3, e: ["p", "q"] };
    const news = { a: undefined, b: undefined, c: { y: [1, 2], x: 1 }, d: 3, e: ["p", "q"] };
    expect(changedKeys(olds, news, ["a", "b", "c", "d", "e"])).toEqual([]);
  });

  it("names every key whose value differs: strings, numbers, array order, nested content, added or removed", () => {
    const olds = { a: "x", b: 1, c: ["p", "q"], d: { x: 1 }, e: undefined as string | undefined, f: "gone" as string | undefined };
    const news = { a: "y", b: 2, c: ["q", "p"], d: { x: 2 }, e: "new", f: undefined };
    expect(changedKeys(olds, news, ["a", "b", "c", "d", "e", "f"])).toEqual(["a", "b", "c", "d", "e", "f"]);
  });
});
