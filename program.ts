// The node stack program: read and validate the stack config, then build one EdgeNode.
// Every user mistake is found here, before any resource is registered, and reported as one line.
import * as pulumi from "./components/shared/pulumi";
import { formatStackTracesWithV8 } from "./components/shared/stack-traces";
import type { ImportedCa } from "./components/pki/ca-import";
import { checkDatabaseServers } from "./components/databases/preflight";
import { EdgeNode, EdgeNodeArgs } from "./components/edge-node";
import { hasAdminPassword } from "./components/databases/config";
import { CONFIG_NAMESPACE, ConfigError, NodeConfig, parseNodeConfig } from "./components/node-config";
import { CustodyError, readCustody } from "./components/secret-store/custody";
import { orgProgram } from "./components/fleet/org-program";
import { awaitingSignatureMessage, NodeCaRequests, nodeNameOf, OrgStackMissingError, readOrgSignatures, requireOrgStack, servicesOutsideConstraints } from "./components/fleet/node-link";
import { ROLES } from "./components/fleet/config";
import { CUSTODY_SECRET_KEY, custodyFilePath, custodySecretProblem } from "./components/secret-store/config";

/** A config value read raw (no "use getSecret" warning), to validate a secret before it enters the graph. */
const { getConfig }: { getConfig(k: string): string | undefined } = require("@pulumi/pulumi/runtime/config");

/** Whether a config key holds a secret value (the SDK knows it, but does not type it publicly). */
function isConfigSecret(key: string): boolean {
  const runtimeConfig: { isConfigSecret?: (k: string) => boolean } = require("@pulumi/pulumi/runtime/config");
  if (typeof runtimeConfig.isConfigSecret !== "function") throw new Error("this @pulumi/pulumi has no isConfigSecret: cannot tell whether a config value is a secret");
  return runtimeConfig.isConfigSecret(key);
}

/** Reads the stack config and, for an imported CA, validates its files. Throws one-line errors. */
export function loadNodeConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): { nodeConfig: NodeConfig; importedCa?: ImportedCa; custodySecret?: pulumi.Output<string> } {
  const nodeConfig = parseNodeConfig({
    layout: config.get("layout"),
    edgex: config.getObject("edgex"),
    secretsRoot: config.get("secretsRoot"),
    pki: config.getObject("pki"),
    services: config.getObject("services"),
    secretStore: config.getObject("secretStore"),
    configStore: config.getObject("configStore"),
    databases: config.getObject("databases"),
    gateway: config.getObject("gateway"),
    containers: config.getObject("containers"),
    messageBus: config.getObject("messageBus"),
    rotation: config.getObject("rotation"),
  });
  // Admin passwords must come in as secrets (`pulumi config set --secret --path ...`), never as plain config.
  if (hasAdminPassword(nodeConfig.databases) && !isConfigSecret(`${CONFIG_NAMESPACE}:databases`)) {
    throw new ConfigError(`${CONFIG_NAMESPACE}:databases: holds an admin password in plain text; set it with \`pulumi config set --secret --path\``);
  }
  if (nodeConfig.gateway?.kong?.adminCredentials && !isConfigSecret(`${CONFIG_NAMESPACE}:gateway`)) {
    throw new ConfigError(`${CONFIG_NAMESPACE}:gateway: holds the Kong Admin API credential in plain text; set it with \`pulumi config set --secret --path ${CONFIG_NAMESPACE}:gateway.kong.adminCredentials.value\``);
  }
  let custodySecret: pulumi.Output<string> | undefined;
  if (nodeConfig.secretStore) {
    // Read raw (no "use getSecret" warning) to validate it; it enters the graph only as a secret.
    const key = `${CONFIG_NAMESPACE}:${CUSTODY_SECRET_KEY}`;
    const value = getConfig(key);
    const problem = custodySecretProblem(value, isConfigSecret(key));
    if (problem) throw new ConfigError(`${key}: ${problem}`);
    custodySecret = pulumi.secret(value!);
    warnAboutCustody(nodeConfig, value!);
  }
  if (nodeConfig.ca.source !== "import") return { nodeConfig, custodySecret };
  // Loaded only here: it brings the X.509 library, which no other part of the program needs.
  const { CaImportError, loadImportedCa }: typeof import("./components/pki/ca-import") = require("./components/pki/ca-import");
  try {
    return { nodeConfig, custodySecret, importedCa: loadImportedCa(nodeConfig.ca.importDir!) };
  } catch (err) {
    if (err instanceof CaImportError) throw new ConfigError(`${CONFIG_NAMESPACE}:pki.ca.importDir: ${err.message}`);
    throw err;
  }
}

/**
 * Warnings on every run about the store's keys: a custody file that does not decrypt (damage, tampering, or a
 * custody secret changed since it was written) is named, and `up` keeps it aside before writing the good copy
 * from the state; `reinitialize` left on would start over again after the next loss of the store's data.
 */
function warnAboutCustody(nodeConfig: NodeConfig, secret: string): void {
  const file = custodyFilePath(nodeConfig.secretStore!.custodyDir, pulumi.getStack());
  try {
    readCustody(file, secret);
  } catch (err) {
    const message = err instanceof CustodyError ? err.message : `${file}: ${(err as Error).message}`;
    pulumi.log.warn(`${message}: the store's keys in it cannot be read; \`up\` keeps the file aside (${file}.damaged-<time>) and writes the keys again from the stack's state (expected once after changing ${CUSTODY_SECRET_KEY})`);
  }
  if (nodeConfig.secretStore!.reinitialize) {
    pulumi.log.warn(`${CONFIG_NAMESPACE}:secretStore.reinitialize is on: a secret store that answers "not initialized" is initialized anew, with new keys (the old custody file is kept, dated); turn it off after this run`);
  }
}

/**
 * The node CA's requests (whenever pki.ca.org is set, so a self-signed node can ask for its org CA before it switches)
 * and, for source "org", what the org signed. `awaiting` is the one line to show when nothing is signed yet.
 */
async function loadOrgCa(nodeConfig: NodeConfig): Promise<{ org?: EdgeNodeArgs["org"]; outputs: Record<string, unknown>; awaiting?: string }> {
  const { ca } = nodeConfig;
  if (!ca.org) return { outputs: {} };
  // Before the node registers anything: a missing org stack is a config mistake, not a failed step.
  if (ca.source === "org" && ca.org.stack) {
    try {
      await requireOrgStack(ca.org.stack);
    } catch (err) {
      if (err instanceof OrgStackMissingError) throw new ConfigError(`${CONFIG_NAMESPACE}:pki.ca.org.stack: ${err.message}`);
      throw new ConfigError(`${CONFIG_NAMESPACE}:pki.ca.org: ${(err as Error).message}`);
    }
  }
  const node = nodeNameOf(ca, pulumi.getStack());
  const requests = new NodeCaRequests("node-ca", { ca, node });
  const outputs = { nodeCaRequests: requests.csrs };
  if (ca.source !== "org") return { outputs };
  let signatures;
  try {
    signatures = await readOrgSignatures(ca, pulumi.getStack());
  } catch (err) {
    throw new ConfigError(`${CONFIG_NAMESPACE}:pki.ca.org: ${(err as Error).message}`);
  }
  const issuing = signatures.generations[0];
  if (signatures.signed[issuing] === undefined) {
    const message = awaitingSignatureMessage(ca, node, issuing);
    // A node already running on a signed generation keeps it until the new one is signed: switching would tear it down.
    if (Object.keys(signatures.signed).length > 0) throw new ConfigError(`${CONFIG_NAMESPACE}:pki.ca.generation: ${message}; keep the issuing generation at a signed one until then`);
    return { outputs, awaiting: `${CONFIG_NAMESPACE}:pki.ca: ${message}; until then this stack holds only the node CA's key and request` };
  }
  for (const gen of signatures.generations.filter((g) => signatures.signed[g] === undefined)) {
    pulumi.log.warn(`${CONFIG_NAMESPACE}:pki.ca.trusted: ${awaitingSignatureMessage(ca, node, gen)}; it joins the trust bundle once signed`);
  }
  const outside = servicesOutsideConstraints(signatures.signed[issuing], nodeConfig.services);
  if (outside.length > 0) {
    const [index, names] = outside[0];
    throw new ConfigError(`${CONFIG_NAMESPACE}:services[${index}]: ${names.join(", ")} ${names.length === 1 ? "is" : "are"} outside the names the org permits node ${node}'s CA (its name constraints)`);
  }
  return { org: { requests, signatures }, outputs };
}

export async function edgeNodeProgram(): Promise<Record<string, unknown>> {
  formatStackTracesWithV8();
  // One program, two roles: a node stack (default) or the org stack holding the root CA (components/fleet/).
  const role = new pulumi.Config(CONFIG_NAMESPACE).get("role") ?? "node";
  if (!(ROLES as readonly string[]).includes(role)) throw new pulumi.RunError(`${CONFIG_NAMESPACE}:role: must be one of ${ROLES.join(", ")}`);
  if (role === "org") return orgProgram();
  let loaded;
  let orgCa;
  try {
    loaded = loadNodeConfig();
    if (loaded.nodeConfig.databases) {
      await checkDatabaseServers(loaded.nodeConfig.databases, (key, message) => {
        throw new ConfigError(`${CONFIG_NAMESPACE}:databases.${key}: ${message}`);
      });
    }
    orgCa = await loadOrgCa(loaded.nodeConfig);
  } catch (err) {
    // A RunError is shown as its message alone: no stack trace for a user mistake.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  if (orgCa.awaiting) {
    pulumi.log.warn(orgCa.awaiting);
    return { ...orgCa.outputs, nodeCa: "awaiting signature" };
  }
  const node = new EdgeNode("node", { config: loaded.nodeConfig, importedCa: loaded.importedCa, custodySecret: loaded.custodySecret, org: orgCa.org });
  return { ...node.outputs, ...orgCa.outputs };
}
