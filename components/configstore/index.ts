export { ConfigStore, ConfigStoreArgs, ConfigStoreServiceOutputs, DEV_MODE_WARNING } from "./config-store";
