// The node stack program: read and validate the stack config, then build one EdgeNode.
// Every user mistake is found here, before any resource is registered, and reported as one line.
import * as pulumi from "@pulumi/pulumi";
// getConfig reads a value raw (no "use getSecret" warning); isConfigSecret is marked internal in the typings.
const { getConfig, isConfigSecret }: { getConfig(k: string): string | undefined; isConfigSecret(k: string): boolean } = require("@pulumi/pulumi/runtime/config");
import { CaImportError, ImportedCa, loadImportedCa } from "./clients/ca-import";
import { EdgeNode } from "./components/edge-node";
import { CONFIG_NAMESPACE, ConfigError, NodeConfig, parseNodeConfig } from "./config/node-config";
import { CUSTODY_SECRET_KEY, custodySecretProblem } from "./config/secret-store";

/** Reads the stack config and, for an imported CA, validates its files. Throws one-line errors. */
export function loadNodeConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): { nodeConfig: NodeConfig; importedCa?: ImportedCa; custodySecret?: pulumi.Output<string> } {
  const nodeConfig = parseNodeConfig({
    secretsRoot: config.get("secretsRoot"),
    pki: config.getObject("pki"),
    services: config.getObject("services"),
    secretStore: config.getObject("secretStore"),
    configStore: config.getObject("configStore"),
  });
  let custodySecret: pulumi.Output<string> | undefined;
  if (nodeConfig.secretStore) {
    // Read raw (no "use getSecret" warning) to validate it; it enters the graph only as a secret.
    const key = `${CONFIG_NAMESPACE}:${CUSTODY_SECRET_KEY}`;
    const value = getConfig(key);
    const problem = custodySecretProblem(value, isConfigSecret(key));
    if (problem) throw new ConfigError(`${key}: ${problem}`);
    custodySecret = pulumi.secret(value!);
  }
  if (nodeConfig.ca.source !== "import") return { nodeConfig, custodySecret };
  try {
    return { nodeConfig, custodySecret, importedCa: loadImportedCa(nodeConfig.ca.importDir!) };
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
  const node = new EdgeNode("node", { config: loaded.nodeConfig, importedCa: loaded.importedCa, custodySecret: loaded.custodySecret });
  return { ...node.outputs };
}
