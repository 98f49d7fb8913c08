// The package's public entry point (`@edge-security/clients`), for a Pulumi program of one's own: the node
// component and each concern's component, with their args and the config parser that turns plain values into
// the validated NodeConfig (one-line ConfigError on a mistake). README.md "The components in your own program"
// shows a program; the subpaths (`@edge-security/clients/pki`, `.../providers/...`) are the providers' run-time
// entry points, not part of this API.
export { EdgeNode, type EdgeNodeArgs, type EdgeNodeOutputs, type ServiceOutputs } from "./edge-node";
export { CONFIG_NAMESPACE, ConfigError, parseNodeConfig, type NodeConfig, type ServiceConfig } from "./node-config";
export { Pki, type PkiArgs } from "./pki/component";
export { SecretStore, type SecretStoreArgs } from "./secret-store/component";
export { Databases, type DatabasesArgs } from "./databases/component";
export { ConfigStore, type ConfigStoreArgs } from "./config-store/component";
export { NginxGateway, type NginxGatewayArgs } from "./gateway/nginx/component";
export { KongGateway, type KongGatewayArgs } from "./gateway/kong/component";
