// The node stack program: read and validate the stack config, then build one EdgeNode.
// Every user mistake is found here, before any resource is registered, and reported as one line.
import * as pulumi from "@pulumi/pulumi";
import { CaImportError, ImportedCa, loadImportedCa } from "./clients/ca-import";
import { checkDatabaseServers } from "./components/databases";
import { EdgeNode } from "./components/edge-node";
import { hasAdminPassword } from "./config/databases";
import { CONFIG_NAMESPACE, ConfigError, NodeConfig, parseNodeConfig } from "./config/node-config";

/** Whether a config key holds a secret value (the SDK knows it, but does not type it publicly). */
function isConfigSecret(key: string): boolean {
  const runtimeConfig: { isConfigSecret?: (k: string) => boolean } = require("@pulumi/pulumi/runtime/config");
  if (typeof runtimeConfig.isConfigSecret !== "function") throw new Error("this @pulumi/pulumi has no isConfigSecret: cannot tell whether a config value is a secret");
  return runtimeConfig.isConfigSecret(key);
}

/** Reads the stack config and, for an imported CA, validates its files. Throws one-line errors. */
export function loadNodeConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): { nodeConfig: NodeConfig; importedCa?: ImportedCa } {
  const nodeConfig = parseNodeConfig({
    secretsRoot: config.get("secretsRoot"),
    pki: config.getObject("pki"),
    services: config.getObject("services"),
    databases: config.getObject("databases"),
  });
  // Admin passwords must come in as secrets (`pulumi config set --secret --path ...`), never as plain config.
  if (hasAdminPassword(nodeConfig.databases) && !isConfigSecret(`${CONFIG_NAMESPACE}:databases`)) {
    throw new ConfigError(`${CONFIG_NAMESPACE}:databases: holds an admin password in plain text; set it with \`pulumi config set --secret --path\``);
  }
  if (nodeConfig.ca.source !== "import") return { nodeConfig };
  try {
    return { nodeConfig, importedCa: loadImportedCa(nodeConfig.ca.importDir!) };
  } catch (err) {
    if (err instanceof CaImportError) throw new ConfigError(`${CONFIG_NAMESPACE}:pki.ca.importDir: ${err.message}`);
    throw err;
  }
}

export async function edgeNodeProgram(): Promise<Record<string, unknown>> {
  let loaded;
  try {
    loaded = loadNodeConfig();
    if (loaded.nodeConfig.databases) {
      await checkDatabaseServers(loaded.nodeConfig.databases, (key, message) => {
        throw new ConfigError(`${CONFIG_NAMESPACE}:databases.${key}: ${message}`);
      });
    }
  } catch (err) {
    // A RunError is shown as its message alone: no stack trace for a user mistake.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const node = new EdgeNode("node", { config: loaded.nodeConfig, importedCa: loaded.importedCa });
  return { ...node.outputs };
}
