// The provider helper: what a thin provider serializes to (the bytes every resource's state carries twice), that
// it forwards to its implementation module by name, and the one comparison of inputs.
import Module from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProvider, serializedProviderMocks } from "../../test/fixtures/provider-code";
import { changedKeys, digestKey, digestOf, keepDigests } from "./dynamic-resource";

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

  it("registers the dynamic type with a one-line provider that names its implementation module", () => {
    // Exactly what every PlainFile's state stores twice; 0.2.0's stubs were 1507 bytes, 0.1.0's inline logic 2011.
    expect(code).toBe('exports.handler = () => require("@edge-security/clients/providers/shared/plain-file").provider;\n');
    expect(code.length).toBeLessThan(120);
  });

  it("is the implementation's provider itself, methods and all, when the host loads it", async () => {
    const loaded = loadProvider(code);
    const { provider } = await import("./plain-file.provider");
    // (the test's import and the host's require are separate module instances: compare the methods)
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(provider).sort());
    const diff = await loaded.diff!("id", { path: "/nowhere/a", content: "x" }, { path: "/nowhere/a", content: "y" });
    expect(diff.replaces).toEqual(["content", "onDisk"]);
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

describe("keepDigests", () => {
  it("keeps the named inputs as digests, and changedKeys compares a digest with the new value as it compares copies", () => {
    const inputs: Record<string, unknown> = { service: "a", caCertPem: "-----BEGIN CERTIFICATE-----\nAAA\n", bundle: undefined };
    // Typed loosely: the outputs no longer have the keys a diff still compares.
    const outs: Record<string, unknown> = keepDigests(inputs, ["caCertPem", "bundle"]);
    expect(outs).toEqual({ service: "a", caCertPemSha256: digestOf(inputs.caCertPem), bundleSha256: digestOf(null) });
    expect(digestKey("caCertPem")).toBe("caCertPemSha256");
    expect(changedKeys(outs, inputs, ["service", "caCertPem", "bundle"])).toEqual([]);
    // absent, null and "" stay one value through a digest too
    expect(changedKeys(outs, { ...inputs, bundle: "" }, ["bundle"])).toEqual([]);
    expect(changedKeys(outs, { ...inputs, caCertPem: "other", bundle: "new" }, ["caCertPem", "bundle"])).toEqual(["caCertPem", "bundle"]);
    // a copy, where outputs still hold one, is compared as before
    expect(changedKeys({ ...outs, caCertPem: inputs.caCertPem }, { ...inputs, caCertPem: "other" }, ["caCertPem"])).toEqual(["caCertPem"]);
  });
});
