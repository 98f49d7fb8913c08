// The node stack's side of the org CA: its CA requests (one key + request per trusted generation, parented to one
// component so their names never depend on whether the rest of the node is built yet), and what the program reads
// when it runs: the signed certificates and the org's roots, from the org stack (connected) or the carried folder.
import { existsSync, readFileSync } from "node:fs";
import { invoke } from "@pulumi/pulumi/runtime/invoke";
import * as pulumi from "../shared/pulumi";
import { EdgeError } from "../shared/errors";
import { PlainFile } from "../shared/plain-file";
import { exchangeFiles, NodeOrgLink, trustedGenerations } from "./config";
import { NodeCaRequest } from "./node-ca-request";

// The X.509 library is loaded only for a node linked to an org CA: every other node's program has no use for it.
const caClient = (): typeof import("./ca-client") => require("./ca-client");

/** The org stack's outputs a node reads. */
export const ORG_ROOTS_OUTPUT = "roots";
export const ORG_NODE_CAS_OUTPUT = "nodeCas";

export interface NodeCaSettings {
  source: string;
  commonName: string;
  keyType: string;
  /** The issuing generation (1 when unset). */
  generation?: number;
  trusted?: number[];
  org?: NodeOrgLink;
}

/** What the program found for this node when it ran. */
export interface OrgSignatures {
  node: string;
  /** Trusted generations, the issuing one first. */
  generations: number[];
  /** Generation -> the signed node CA certificate (PEM); a generation not signed yet is absent. */
  signed: Record<number, string>;
  /** The org's trusted roots (PEM), when known. */
  rootsPem?: string;
}

export function nodeNameOf(ca: NodeCaSettings, stack: string): string {
  return ca.org?.node ?? stack;
}

/** A connected node's org stack is not in the backend: the program names the key (pki.ca.org.stack). */
export class OrgStackMissingError extends EdgeError {}

/** How the engine's built-in provider says a referenced stack does not exist (`unknown stack "org"`). */
const UNKNOWN_STACK = /\bunknown stack\b/;

/**
 * A connected node's org stack must exist before the node reads it. Read through a StackReference (a resource), a
 * missing stack fails the engine's read step with a raw `unknown stack` on `org-ca`, after the node's requests
 * were registered; the same read as the built-in invoke (what the SDK's own StackReference sync path calls)
 * fails only this call, so the program can say what to do before it registers anything. An invoke adds nothing
 * to the state: the StackReference stays the one the state has always held.
 */
export async function requireOrgStack(stack: string, read = (name: string) => invoke("pulumi:pulumi:readStackOutputs", { name })): Promise<void> {
  try {
    await read(stack);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!UNKNOWN_STACK.test(message)) throw err;
    throw new OrgStackMissingError(
      `the org stack ${JSON.stringify(stack)} does not exist in this backend: run the org stack first (\`pulumi up --stack ${stack}\`, a stack with edge-security:role: org), or carry the request through the air-gapped exchange folder instead (pki.ca.org.exchangeDir)`,
    );
  }
}

/** Reads the signed certificates of this node's generations: the org stack's outputs, or the carried files. */
export async function readOrgSignatures(ca: NodeCaSettings, stack: string): Promise<OrgSignatures> {
  const link = ca.org!;
  const node = nodeNameOf(ca, stack);
  const generations = trustedGenerations(ca);
  const signed: Record<number, string> = {};
  let rootsPem: string | undefined;
  if (link.stack) {
    const ref = new pulumi.StackReference("org-ca", { name: link.stack });
    const nodeCas = ((await ref.getOutputDetails(ORG_NODE_CAS_OUTPUT)).value ?? {}) as Record<string, Record<string, string>>;
    rootsPem = (await ref.getOutputDetails(ORG_ROOTS_OUTPUT)).value as string | undefined;
    for (const gen of generations) {
      const pem = nodeCas[node]?.[`g${gen}`];
      if (typeof pem === "string") signed[gen] = pem;
    }
  } else {
    for (const gen of generations) {
      const { certFile } = exchangeFiles(link.exchangeDir!, node, gen);
      if (!existsSync(certFile)) continue;
      const [cert, ...roots] = caClient().splitCertificates(readFileSync(certFile, "utf8"));
      if (!cert) throw new Error(`${certFile}: holds no PEM certificate`);
      signed[gen] = cert;
      // The roots as of the issuing generation's file (the org rewrites every file of the node when its roots change).
      if (gen === generations[0] || rootsPem === undefined) rootsPem = roots.join("");
    }
  }
  return { node, generations, signed, rootsPem };
}

/** One line telling the operator what to do while `gen` is not signed. */
export function awaitingSignatureMessage(ca: NodeCaSettings, node: string, gen: number): string {
  const link = ca.org!;
  if (link.stack) return `node CA generation ${gen} of node ${node} is not signed yet: run \`pulumi up --stack ${link.stack}\` (the org stack, listing node ${node}), then \`up\` here again`;
  const { csrFile, certFile } = exchangeFiles(link.exchangeDir!, node, gen);
  return `node CA generation ${gen} of node ${node} is not signed yet: carry ${csrFile} to the org machine's ${link.exchangeDir}, run \`pulumi up --stack org\` there, bring back ${certFile}, then \`up\` here again`;
}

/** The service names the issuing node CA may not issue for, as [service index, names]; empty when all fit. */
export function servicesOutsideConstraints(certPem: string, services: { dnsNames: string[]; ipAddresses: string[] }[]): [number, string[]][] {
  const { nameConstraintsOf, namesOutside } = caClient();
  const nc = nameConstraintsOf(certPem);
  return services.flatMap((s, i) => {
    const outside = namesOutside(nc, s.dnsNames, s.ipAddresses);
    return outside.length > 0 ? [[i, outside] as [number, string[]]] : [];
  });
}

export interface NodeCaRequestsArgs {
  readonly ca: NodeCaSettings;
  readonly node: string;
}

/** The node's CA keys and requests, one per trusted generation, and (air-gapped) each request as a file to carry. */
export class NodeCaRequests extends pulumi.ComponentResource {
  readonly requests: Record<number, NodeCaRequest> = {};
  /** `{ g1: csrPem, ... }`: the stack output the org stack reads. */
  readonly csrs: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: NodeCaRequestsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:fleet:NodeCaRequests", name, {}, opts);
    const link = args.ca.org!;
    const gens = trustedGenerations(args.ca);
    for (const gen of gens) {
      const request = new NodeCaRequest(`${name}-g${gen}`, { node: args.node, generation: gen, commonName: `${args.ca.commonName} ${args.node} g${gen}`, keyType: args.ca.keyType }, { parent: this });
      this.requests[gen] = request;
      if (link.exchangeDir) {
        new PlainFile(`${name}-g${gen}-csr-file`, { path: exchangeFiles(link.exchangeDir, args.node, gen).csrFile, content: request.csrPem, mode: 0o644 }, { parent: this });
      }
    }
    this.csrs = pulumi.all(Object.fromEntries(gens.map((g) => [`g${g}`, this.requests[g].csrPem])));
    this.registerOutputs({ csrs: this.csrs });
  }
}
