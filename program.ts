// The node stack program: read and validate the stack config, then build one EdgeNode.
// Every user mistake is found here, before any resource is registered, and reported as one line.
import * as pulumi from "@pulumi/pulumi";
import { CaImportError, ImportedCa, loadImportedCa } from "./clients/ca-import";
import { EdgeNode } from "./components/edge-node";
import { CONFIG_NAMESPACE, ConfigError, NodeConfig, parseNodeConfig } from "./config/node-config";

/** Reads the stack config and, for an imported CA, validates its files. Throws one-line errors. */
export function loadNodeConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): { nodeConfig: NodeConfig; importedCa?: ImportedCa } {
  const nodeConfig = parseNodeConfig({
    secretsRoot: config.get("secretsRoot"),
    pki: config.getObject("pki"),
    services: config.getObject("services"),
    configStore: config.getObject("configStore"),
  });
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
  } catch (err) {
    // A RunError is shown as its message alone: no stack trace for a user mistake.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const node = new EdgeNode("node", { config: loaded.nodeConfig, importedCa: loaded.importedCa });
  return { ...node.outputs };
}
