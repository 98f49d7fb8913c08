export { Databases, DatabasesArgs, DatabasesOutputs, DbCredentials } from "./databases";
export { checkDatabaseServers } from "./preflight";
