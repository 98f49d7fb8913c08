// The org stack's component: the root CA (one resource per trusted generation) and the node CAs it signs, one per
// node and generation the nodes asked for. Connected nodes read their certificates from the stack's outputs;
// air-gapped nodes get a certificate file written beside their request in the carried folder.
import * as pulumi from "../shared/pulumi";
import { PlainFile } from "../shared/plain-file";
import { exchangeFiles, OrgConfig, trustedGenerations } from "./config";
import { OrgRootCa } from "./root-ca";
import { SignedNodeCa } from "./signed-node-ca";

export interface NodeCaRequestFound {
  generation: number;
  csrPem: pulumi.Input<string>;
}

export interface OrgCaArgs {
  readonly config: OrgConfig;
  /** Per node name: the requests found when the program ran (stack outputs or files). */
  readonly requests: Record<string, NodeCaRequestFound[]>;
}

export interface OrgCaOutputs {
  /** The issuing root's generation. */
  rootGeneration: number;
  /** Every trusted root (PEM), the issuing one first: what every node's trust bundle carries. */
  roots: pulumi.Output<string>;
  /** Per node, per generation (`g1`, `g2`, ...): the signed node CA certificate (PEM). */
  nodeCas: Record<string, Record<string, pulumi.Output<string>>>;
}

export class OrgCa extends pulumi.ComponentResource {
  readonly roots: Record<number, OrgRootCa> = {};
  readonly signed: Record<string, Record<string, SignedNodeCa>> = {};
  readonly outputs: OrgCaOutputs;

  constructor(name: string, args: OrgCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:fleet:OrgCa", name, {}, opts);
    const { root } = args.config;
    for (const gen of trustedGenerations(root)) {
      this.roots[gen] = new OrgRootCa(`${name}-root-g${gen}`, { generation: gen, commonName: `${root.commonName} g${gen}`, keyType: root.keyType, lifetimeDays: root.lifetimeDays }, { parent: this });
    }
    const issuing = this.roots[root.generation];
    const rootsPem = pulumi.all(trustedGenerations(root).map((g) => this.roots[g].certPem)).apply((pems) => pems.map((p) => (p ?? "").trim()).filter(Boolean).join("\n") + "\n");

    const nodeCas: OrgCaOutputs["nodeCas"] = {};
    for (const node of args.config.nodes) {
      nodeCas[node.name] = {};
      this.signed[node.name] = {};
      for (const request of args.requests[node.name] ?? []) {
        const signed = new SignedNodeCa(
          `${name}-${node.name}-g${request.generation}`,
          {
            node: node.name,
            generation: request.generation,
            csrPem: request.csrPem,
            rootGeneration: root.generation,
            issuerCertPem: issuing.certPem,
            issuerKeyPem: issuing.keyPem,
            lifetimeDays: args.config.nodeCaLifetimeDays,
            permittedDns: node.permittedDns,
            permittedIps: node.permittedIps,
          },
          { parent: this },
        );
        this.signed[node.name][`g${request.generation}`] = signed;
        nodeCas[node.name][`g${request.generation}`] = signed.certPem;
        if (node.exchangeDir) {
          // The node CA's certificate first, then the roots the node is to trust: one file to carry back.
          new PlainFile(
            `${name}-${node.name}-g${request.generation}-cert-file`,
            { path: exchangeFiles(node.exchangeDir, node.name, request.generation).certFile, content: pulumi.interpolate`${signed.certPem.apply((p) => (p ?? "").trim())}\n${rootsPem}`, mode: 0o644 },
            { parent: this },
          );
        }
      }
    }
    this.outputs = { rootGeneration: root.generation, roots: rootsPem, nodeCas };
    this.registerOutputs(this.outputs);
  }
}
