// What every benchmark measures on a prepared node: a cold `up` and a no-op `preview`, through the real CLI.
import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { expectOk, PROJECT_ROOT, RunResult, TestNode } from "../test/support/harness";
import type { PayloadResource } from "./floor/same-state";

/** Sizes from an environment variable such as "20,200". */
export function sizes(variable: string, fallback: string): number[] {
  return (process.env[variable] ?? fallback).split(",").map(Number);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, (performance.now() - start) / 1000];
}

/** Cold `up`, then a `preview` that must plan nothing; returns the table row for `n` services. */
export async function measureUpAndPreview(node: TestNode, n: number): Promise<string> {
  const [up, upSeconds] = await timed(async () => expectOk(await node.run("up")));
  const [preview, previewSeconds] = await timed(async () => expectOk(await node.run("preview")));
  if (preview.steps.length !== 0) throw new Error(`no-op preview of ${n} services planned changes`);
  const resources = Object.values(up.changeSummary).reduce((a, b) => a + b, 0);
  return `| ${n} | ${resources} | ${upSeconds.toFixed(1)} | ${previewSeconds.toFixed(1)} |`;
}

export function printTable(title: string, rows: string[]): void {
  console.log([title, "| services | resources | cold up (s) | no-op preview (s) |", "|---|---|---|---|", ...rows].join("\n"));
}

export function serviceNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(3, "0")}`);
}

export function run(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

export const ratio = (a: number, b: number) => (a / b).toFixed(2);

/** What upAndPreview measured on one project folder. */
export interface UpAndPreview {
  up: number;
  preview: number;
  resources: number;
}

/** The columns bench/cli.ts and bench/full-node.ts both print for the node against the plain floor, then against the same-state floor. */
export const FLOOR_COLUMNS = ["resources", "floor up (s)", "up (s)", "up ratio", "floor preview (s)", "preview (s)", "preview ratio", "state KB/service"];
export const SAME_STATE_COLUMNS = ["same-state floor up (s)", "up ratio to it", "same-state floor preview (s)", "preview ratio to it", "its state KB/service"];

const kbPerService = (bytes: number, n: number) => (bytes / n / 1024).toFixed(1);

/** The FLOOR_COLUMNS cells of the node (`real`, its state `stateBytes`) at `n` services against the plain floor. */
export function floorCells(n: number, real: UpAndPreview, floor: UpAndPreview, stateBytes: number): string[] {
  return [String(real.resources), floor.up.toFixed(1), real.up.toFixed(1), ratio(real.up, floor.up), floor.preview.toFixed(1), real.preview.toFixed(1), ratio(real.preview, floor.preview), kbPerService(stateBytes, n)];
}

/** The SAME_STATE_COLUMNS cells of the node against the same-state floor (`same`, its state `sameStateBytes`). */
export function sameStateCells(n: number, real: UpAndPreview, same: UpAndPreview, sameStateBytes: number): string[] {
  return [same.up.toFixed(1), ratio(real.up, same.up), same.preview.toFixed(1), ratio(real.preview, same.preview), kbPerService(sameStateBytes, n)];
}

/** A Markdown table's lines: the header, its separator, one line per row of cells. */
export function markdownTable(columns: string[], rows: string[][]): string[] {
  return [`| ${columns.join(" | ")} |`, `|${columns.map(() => "---").join("|")}|`, ...rows.map((cells) => `| ${cells.join(" | ")} |`)];
}

/** How many times the no-op preview runs; its median is the figure (a single run of a few seconds varies by ±10%). */
export const PREVIEW_RUNS = 3;

/**
 * Cold `pulumi up` then a no-op `pulumi preview` typed in the project folder (the CLI way), the preview PREVIEW_RUNS
 * times (median); every preview must plan nothing. A cold up cannot be repeated as it was: it is measured once.
 */
export async function upAndPreview(node: TestNode, env: Record<string, string> = {}): Promise<UpAndPreview> {
  const [up, upSeconds] = await timed(async () => expectOk(await node.cli("up", [], env)));
  const previews: number[] = [];
  for (let i = 0; i < PREVIEW_RUNS; i++) {
    const [preview, previewSeconds] = await timed(async () => expectOk(await node.cli("preview", [], env)));
    if (preview.steps.length !== 0) throw new Error(`no-op preview of ${node.stack} planned changes`);
    previews.push(previewSeconds);
  }
  return { up: upSeconds, preview: median(previews), resources: (up as RunResult).changeSummary.create ?? 0 };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A value of an exported state with its secrets opened, and whether any part of it was secret. */
function opened(value: unknown): { value: unknown; secret: boolean } {
  if (Array.isArray(value)) {
    const items = value.map(opened);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value && typeof value === "object") {
    const object = value as Record<string, unknown>;
    // A secret in `pulumi stack export --show-secrets`: the SDK's signature, the value's JSON text as `plaintext`.
    if (object[specialSigKey] === specialSecretSig) return { value: opened(JSON.parse(String(object.plaintext))).value, secret: true };
    const entries = Object.entries(object).map(([k, v]) => [k, opened(v)] as const);
    return { value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])), secret: entries.some(([, v]) => v.secret) };
  }
  return { value, secret: false };
}

/** Top-level values opened, and the keys that held a secret (a nested secret makes its whole key secret). */
function openedProperties(properties: Record<string, unknown> = {}): { values: Record<string, unknown>; secretKeys: string[] } {
  const values: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [key, raw] of Object.entries(properties)) {
    if (key === "__provider") continue; // the replayed resources store their own
    const { value, secret } = opened(raw);
    values[key] = value;
    if (secret) secretKeys.push(key);
  }
  return { values, secretKeys };
}

/**
 * A project folder running bench/floor/same-state.ts: `node`'s graph and state (all but the stack and its default
 * providers), replayed by providers that do nothing. The payload file holds the node's secrets in plain text: a
 * benchmark node's throwaway material, readable by its owner only, in the floor's own temporary folder, removed
 * with it by `cleanup`.
 */
export function sameStateFloorNode(node: TestNode): TestNode {
  type Exported = { urn: string; type: string; custom?: boolean; parent?: string; dependencies?: string[]; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  const resources = (JSON.parse(node.exportState({ showSecrets: true })).deployment.resources as Exported[]).filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
  const payload: PayloadResource[] = resources.map((r) => {
    const inputs = openedProperties(r.inputs);
    const outputs = openedProperties(r.outputs);
    return { urn: r.urn, type: r.type, custom: r.custom === true, parent: r.parent, dependencies: r.dependencies ?? [], inputs: inputs.values, outputs: outputs.values, secretInputs: inputs.secretKeys, secretOutputs: outputs.secretKeys };
  });
  const floor = new TestNode("same-state");
  const payloadFile = join(floor.root, "payload.json");
  writeFileSync(payloadFile, JSON.stringify(payload), { mode: 0o600 });
  return runningFloorProgram(floor, "bench/floor/same-state.ts", { "floor:payload": payloadFile });
}

/** A project folder running bench/floor/index.ts (do-nothing dynamic resources) with `count` resources, on the harness. */
export function floorNode(count: number, inputBytes = 0): TestNode {
  return runningFloorProgram(new TestNode("floor"), "bench/floor/index.ts", { "floor:count": count, ...(inputBytes > 0 ? { "floor:inputBytes": inputBytes } : {}) });
}

/** `node`'s project folder with `program` (a path in the project) as its index.ts and `config` as its stack's config. */
function runningFloorProgram(node: TestNode, program: string, config: Record<string, unknown>): TestNode {
  rmSync(join(node.projectDir, "index.ts"));
  symlinkSync(join(PROJECT_ROOT, program), join(node.projectDir, "index.ts"));
  writeFileSync(join(node.projectDir, "stacks", `Pulumi.${node.stack}.yaml`), JSON.stringify({ config }));
  return node;
}
