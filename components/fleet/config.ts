// The fleet's configuration: the org stack's (`edge-security:role: org`, `edge-security:org`) and the node stack's
// link to it (`edge-security:pki.ca.org`, `generation`, `trusted`). Schemas, defaults, one-line errors. No Pulumi.
import { isIP } from "node:net";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { KEY_TYPES } from "../pki/key-types";

export const ROLES = ["node", "org"] as const;
export type Role = (typeof ROLES)[number];

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const isDnsSubtree = (v: string) => v.replace(/^\./, "").split(".").every((label) => DNS_LABEL.test(label));
const isCidr = (v: string) => {
  const [address, prefix, ...rest] = v.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32);
};

const safeName = z.string().refine((n) => SAFE_NAME.test(n), (n) => ({ message: `${JSON.stringify(n)} is not a safe name (letters, digits, '.', '_', '-'; at most 63 characters)` }));
const absolutePath = z.string().refine((p) => p.startsWith("/"), (p) => ({ message: `${JSON.stringify(p)} must be an absolute path` }));
const generation = z.number({ invalid_type_error: "must be a whole number" }).int("must be a whole number").positive("must be 1 or more");
const lifetimeDays = z.number({ invalid_type_error: "must be a number of days" }).int("must be a whole number of days").positive("must be a positive number of days");
const keyType = z.enum(KEY_TYPES, { errorMap: () => ({ message: `must be one of ${KEY_TYPES.join(", ")}` }) });

/** One generation issues; `trusted` lists every generation that exists and is trusted (the issuing one included). */
function checkGenerations(value: { generation: number; trusted?: number[] }, ctx: z.RefinementCtx): void {
  if (value.trusted && !value.trusted.includes(value.generation)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["trusted"], message: `must include the issuing generation ${value.generation}` });
  }
  if (value.trusted && new Set(value.trusted).size !== value.trusted.length) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["trusted"], message: "lists a generation twice" });
}

/** Generations in the order they are used: the issuing one first, then the others ascending. */
export function trustedGenerations(value: { generation?: number; trusted?: number[] }): number[] {
  const issuing = value.generation ?? 1;
  return [issuing, ...(value.trusted ?? []).filter((g) => g !== issuing).sort((a, b) => a - b)];
}

// ---- the node stack's side ------------------------------------------------------------------------------------

/** `pki.ca.org`: where the node's CA request goes and its signed certificate comes from. */
export const nodeOrgLinkSchema = z
  .object({
    /** Connected: the org stack's name (a StackReference: `org`, or `organization/edge-security/org`). */
    stack: z.string().min(1).optional(),
    /** Air-gapped: the folder the operator carries between this node and the org machine. */
    exchangeDir: absolutePath.optional(),
    /** This node's name in the org's `nodes` list (default: the stack's name). */
    node: safeName.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.stack === undefined) === (v.exchangeDir === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "needs exactly one of stack (connected) or exchangeDir (air-gapped)" });
  });

export type NodeOrgLink = z.infer<typeof nodeOrgLinkSchema>;

/** The node CA fields the node schema adds to `pki.ca` for the org's CA. */
export const nodeCaGenerationFields = {
  // Optional rather than defaulted: a node without an org CA parses exactly as before (1 where unset).
  generation: generation.optional(),
  trusted: z.array(generation).min(1, "must list at least the issuing generation").optional(),
  org: nodeOrgLinkSchema.optional(),
};

/** A problem of `pki.ca`'s org fields as [path below pki.ca, message], or undefined. */
export function nodeCaProblem(ca: { source: string; generation?: number; trusted?: number[]; org?: NodeOrgLink }): [string[], string] | undefined {
  const issuing = ca.generation ?? 1;
  if (ca.source === "org" && !ca.org) return [["org"], 'is required when pki.ca.source is "org" (stack for a connected node, exchangeDir for an air-gapped one)'];
  if (ca.source !== "org" && (ca.generation !== undefined || ca.trusted)) return [[ca.generation !== undefined ? "generation" : "trusted"], 'applies to a node CA signed by the org (pki.ca.source "org") only'];
  if (ca.trusted && !ca.trusted.includes(issuing)) return [["trusted"], `must include the issuing generation ${issuing}`];
  if (ca.trusted && new Set(ca.trusted).size !== ca.trusted.length) return [["trusted"], "lists a generation twice"];
  return undefined;
}

/** The files of one generation's request and signed certificate in an air-gapped node's exchange folder. */
export function exchangeFiles(dir: string, node: string, gen: number): { csrFile: string; certFile: string } {
  return { csrFile: `${dir}/${node}.g${gen}.csr.pem`, certFile: `${dir}/${node}.g${gen}.crt.pem` };
}

export const EXCHANGE_CSR = /^(.+)\.g([1-9][0-9]*)\.csr\.pem$/;

// ---- the org stack ----------------------------------------------------------------------------------------------

const orgNodeSchema = z
  .object({
    name: safeName,
    /** Connected: the node's stack (StackReference); it publishes `nodeCaRequests`. */
    stack: z.string().min(1).optional(),
    /** Air-gapped: the carried folder holding `<name>.g<N>.csr.pem`; the certificate goes beside it. */
    exchangeDir: absolutePath.optional(),
    /** Name constraints on this node's CA: DNS subtrees and IP ranges it may issue for (empty: unconstrained). */
    permittedDns: z.array(z.string().refine(isDnsSubtree, (v) => ({ message: `${JSON.stringify(v)} is not a DNS name or subtree (.example.com)` }))).default([]),
    permittedIps: z.array(z.string().refine(isCidr, (v) => ({ message: `${JSON.stringify(v)} is not an IP address or range (CIDR)` }))).default([]),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.stack === undefined) === (v.exchangeDir === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "needs exactly one of stack (connected) or exchangeDir (air-gapped)" });
  });

const orgSchema = z
  .object({
    root: z
      .object({
        commonName: z.string().min(1).default("edge-security org root"),
        keyType: keyType.default("ec-p384"),
        lifetimeDays: lifetimeDays.default(7300),
        generation: generation.default(1),
        trusted: z.array(generation).min(1, "must list at least the issuing generation").optional(),
      })
      .strict()
      .superRefine(checkGenerations)
      .default({}),
    nodeCaLifetimeDays: lifetimeDays.default(1825),
    nodes: z.array(orgNodeSchema).default([]),
  })
  .strict();

export type OrgConfig = z.infer<typeof orgSchema>;
export type OrgNode = OrgConfig["nodes"][number];

export class OrgConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OrgConfigError";
  }
}

function keyPath(path: (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${part}`), "edge-security:org");
}

/** The raw `edge-security:org` object; throws OrgConfigError naming the key. */
export function parseOrgConfig(raw: unknown): OrgConfig {
  const parsed = orgSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === "unrecognized_keys") throw new OrgConfigError(`${keyPath([...issue.path, issue.keys[0]])}: is not a known setting`);
    const message = issue.code === "invalid_type" && issue.received === "undefined" ? "is required" : issue.message;
    throw new OrgConfigError(`${keyPath(issue.path)}: ${message}`);
  }
  const seen = new Set<string>();
  parsed.data.nodes.forEach((n, i) => {
    if (seen.has(n.name)) throw new OrgConfigError(`${keyPath(["nodes", i, "name"])}: duplicate node name ${JSON.stringify(n.name)}`);
    seen.add(n.name);
  });
  return parsed.data;
}

/**
 * Whether a stack config file's text gives its stack the org role (the fleet's `--all` leaves such stacks to their
 * own operator). `file` names the file in the one-line error for text that is not YAML.
 */
export function hasOrgRole(text: string, file: string): boolean {
  let parsed: { config?: Record<string, unknown> } | null;
  try {
    parsed = parseYaml(text) as typeof parsed;
  } catch (err) {
    throw new OrgConfigError(`${file}: not valid YAML (${String((err as Error).message).split("\n")[0]})`);
  }
  return parsed?.config?.["edge-security:role"] === "org";
}
