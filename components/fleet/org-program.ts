// The org stack's program (`edge-security:role: org`): read and check the org config, find each node's CA
// requests (a node stack's `nodeCaRequests` output, or `<node>.g<N>.csr.pem` in an air-gapped node's carried
// folder), and build the OrgCa. Mistakes are one line naming the key, before any resource is registered.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "../shared/pulumi";
import { EXCHANGE_CSR, exchangeFiles, OrgConfig, OrgConfigError, parseOrgConfig } from "./config";
import { NodeCaRequestFound, OrgCa } from "./org-ca";

/** The node CA requests a node stack publishes: `{ g1: csrPem, g2: ... }`. */
export const NODE_CA_REQUESTS_OUTPUT = "nodeCaRequests";

async function connectedRequests(node: OrgConfig["nodes"][number]): Promise<NodeCaRequestFound[]> {
  const ref = new pulumi.StackReference(`node-${node.name}`, { name: node.stack! });
  const details = await ref.getOutputDetails(NODE_CA_REQUESTS_OUTPUT);
  const value = (details.value ?? details.secretValue) as Record<string, string> | undefined;
  if (!value || Object.keys(value).length === 0) {
    pulumi.log.warn(`edge-security:org: node ${node.name}: stack ${node.stack} publishes no CA request yet; run \`up\` on that stack first, then \`up\` here`);
    return [];
  }
  return Object.entries(value).flatMap(([key, csrPem]) => (/^g[1-9][0-9]*$/.test(key) && typeof csrPem === "string" ? [{ generation: Number(key.slice(1)), csrPem }] : []));
}

function exchangeRequests(node: OrgConfig["nodes"][number]): NodeCaRequestFound[] {
  const dir = node.exchangeDir!;
  const found = existsSync(dir)
    ? readdirSync(dir).flatMap((file) => {
        const m = EXCHANGE_CSR.exec(file);
        return m && m[1] === node.name ? [{ generation: Number(m[2]), csrPem: readFileSync(join(dir, file), "utf8") }] : [];
      })
    : [];
  if (found.length === 0) {
    pulumi.log.warn(`edge-security:org: node ${node.name}: no CA request in ${dir} yet (expected ${exchangeFiles(dir, node.name, 1).csrFile}); run \`up\` on the node and carry its request here`);
  }
  for (const request of found) {
    const { certFile } = exchangeFiles(dir, node.name, request.generation);
    if (!existsSync(certFile)) pulumi.log.info(`node ${node.name}: \`up\` signs generation ${request.generation} into ${certFile}; carry that file back to the node's ${dir} and run \`up\` there`);
  }
  return found.sort((a, b) => a.generation - b.generation);
}

export async function orgProgram(config: pulumi.Config = new pulumi.Config("edge-security")): Promise<Record<string, unknown>> {
  let org: OrgConfig;
  try {
    org = parseOrgConfig(config.getObject("org"));
  } catch (err) {
    if (err instanceof OrgConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const requests: Record<string, NodeCaRequestFound[]> = {};
  for (const node of org.nodes) requests[node.name] = node.stack ? await connectedRequests(node) : exchangeRequests(node);
  const ca = new OrgCa("org", { config: org, requests });
  return { ...ca.outputs };
}
