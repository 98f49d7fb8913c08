// The EII 3 layout: the node as Intel Open EII 3's services expect it, in place of EII's ConfigMgrAgent. What makes
// a node EII-shaped, from EII's sources (../shared/contracts/eii-3.md, with file and line):
//   - every config-store client gets the settings its ConfigMgr library reads, in an env file for compose's
//     env_file: AppName, DEV_MODE, ETCD_HOST, ETCD_CLIENT_PORT, ETCD_PREFIX and CONFIGMGR_CERT/KEY/CACERT;
//   - its etcd client certificate and key under EII's names, <App>/<App>_client_certificate.pem and
//     <App>/<App>_client_key.pem, and the CA at rootca/cacert.pem: the secrets root mounted at /run/secrets is the
//     library's default layout, so an unchanged EII compose file needs no CONFIGMGR_*;
//   - cert_type honoured as EII's agent does: CURVE keys only for clients whose cert_type holds "zmq"; where it holds
//     "pem" (or else "der"), a server certificate, its key and the CA in the client's /<App>/config as server_cert,
//     server_key and ca_cert (PEM text, or base64 DER);
//   - DEV_MODE also inside the /GlobalEnv/ object;
//   - the default configuration checked before anything is written: every client has /<App>/config and
//     /<App>/interfaces, /GlobalEnv/ members are strings, and every ZeroMQ TCP interface names peers with keys.
// The config store itself stays generic (components/config-store/config.ts ClientLayout). No Pulumi in here.
import type { ClientLayout, ConfigStoreConfig } from "../config-store/config";
import { GLOBAL_ENV } from "../config-store/default-config";

type Fail = (path: (string | number)[], message: string) => never;

export const EII_ENV_FILE = "configmgr.env";
export const EII_CA_FILE = "rootca/cacert.pem";

export const EII3_CLIENT_LAYOUT: Required<Omit<ClientLayout, "curveKeyClients" | "serverCertificates">> = {
  certFile: "{service}_client_certificate.pem",
  keyFile: "{service}_client_key.pem",
  caFile: EII_CA_FILE,
  envFile: {
    name: EII_ENV_FILE,
    variables: {
      AppName: "service",
      DEV_MODE: "devMode",
      ETCD_HOST: "host",
      ETCD_CLIENT_PORT: "port",
      ETCD_PREFIX: "prefix",
      CONFIGMGR_CERT: "certPath",
      CONFIGMGR_KEY: "keyPath",
      CONFIGMGR_CACERT: "caCertPath",
    },
  },
  devModeInGlobalEnv: true,
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The interface lists EII's ConfigMgr reads, and the member naming the peers of each ([CM] cfgmgr_util.c). */
const PEER_MEMBERS: Record<string, string> = { Publishers: "AllowedClients", Servers: "AllowedClients", Subscribers: "PublisherAppName", Clients: "ServerAppName" };

/**
 * The config store as EII 3 expects it: the layout's settings, and the default configuration checked the way
 * EII's library reads it. `fail` throws the one-line error for a key path.
 */
export function eii3ConfigStore(store: ConfigStoreConfig, serviceNames: readonly string[], fail: Fail): ConfigStoreConfig {
  const at = ["configStore", "defaultConfigFile"];
  const rootca = EII_CA_FILE.split("/")[0];
  const clash = serviceNames.indexOf(rootca);
  if (clash >= 0) fail(["services", clash, "name"], `${JSON.stringify(rootca)} is where the EII layout puts the CA (${EII_CA_FILE} under the secrets root)`);
  const file = store.defaultConfigFile;
  if (!file) return fail(at, "is required by layout eii3: EII's ConfigMgr reads /<App>/config and /<App>/interfaces of every client");

  const parsed = (group: string, name: string): Json | undefined => {
    const text = store.defaults[group]?.[`${store.prefix}/${group}/${name}`];
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as Json;
    } catch {
      return text; // a plain string value
    }
  };

  const globalEnv = parsed(GLOBAL_ENV, "");
  if (globalEnv !== undefined) {
    if (!isObject(globalEnv)) fail(at, `${file}: "/${GLOBAL_ENV}/" must be an object of strings: EII's ConfigMgr sets each member as an environment variable`);
    for (const [name, value] of Object.entries(globalEnv as Record<string, Json>)) {
      if (typeof value !== "string") fail(at, `${file}: "/${GLOBAL_ENV}/" member ${JSON.stringify(name)} is ${JSON.stringify(value)}, not a string: EII's ConfigMgr sets it as an environment variable`);
      if (name === "DEV_MODE") fail(at, `${file}: "/${GLOBAL_ENV}/" member "DEV_MODE" is written from the stack's configStore.devMode`);
    }
  }

  // cert_type, as EII's agent reads it: CURVE keys for the clients whose cert_type holds "zmq".
  const certTypes: Record<string, string[]> = {};
  for (const client of store.clients) {
    for (const name of ["config", "interfaces"]) {
      if (!isObject(parsed(client, name))) fail(at, `${file}: "/${client}/${name}" is missing or not an object: EII's ConfigMgr needs /<App>/config and /<App>/interfaces for every client (${client} is one)`);
    }
    const certType = (parsed(client, "config") as Record<string, Json>).cert_type;
    if (certType === undefined) continue;
    if (!Array.isArray(certType) || !certType.every((t) => typeof t === "string")) fail(at, `${file}: "/${client}/config" cert_type must be a list of strings such as ["zmq"]`);
    certTypes[client] = certType as string[];
  }
  const curveKeyClients = store.clients.filter((c) => certTypes[c]?.includes("zmq"));
  // As EII's agent: "pem" before "der", and only outside DEV_MODE.
  const serverCertificates: Record<string, "pem" | "der"> = {};
  for (const [client, types] of Object.entries(certTypes)) {
    const format = types.includes("pem") ? "pem" : types.includes("der") ? "der" : undefined;
    if (!format || store.devMode) continue;
    const own = ["server_cert", "server_key", "ca_cert"].find((k) => k in (parsed(client, "config") as Record<string, Json>));
    if (own) fail(at, `${file}: "/${client}/config" ${own} is written by the stack (cert_type ${JSON.stringify(types)}): remove it from the file`);
    serverCertificates[client] = format;
  }

  // Every ZeroMQ TCP interface outside DEV_MODE needs the service's own keys and its peers' public keys.
  if (!store.devMode) {
    const hasKeys = new Set(curveKeyClients);
    for (const client of store.clients) {
      const interfaces = parsed(client, "interfaces") as Record<string, Json>;
      for (const [list, member] of Object.entries(PEER_MEMBERS)) {
        const entries = interfaces[list];
        if (!Array.isArray(entries)) continue;
        entries.forEach((entry, i) => {
          if (!isObject(entry) || entry.Type !== "zmq_tcp") return;
          const where = `${file}: "/${client}/interfaces" ${list}[${i}]`;
          if (!hasKeys.has(client)) fail(at, `${where} is zmq_tcp but ${client} has no CURVE keys: give "/${client}/config" cert_type ["zmq"]`);
          const peers = member === "AllowedClients" ? entry[member] : [entry[member]];
          if (!Array.isArray(peers)) return fail(at, `${where}.${member} must be a list of service names (or ["*"])`);
          for (const peer of peers) {
            if (peer === "*" && member === "AllowedClients") continue;
            if (typeof peer !== "string" || !hasKeys.has(peer)) {
              fail(at, `${where}.${member} names ${JSON.stringify(peer)}, a service without CURVE keys (it must be a config-store client whose "/<App>/config" cert_type holds "zmq")`);
            }
          }
        });
      }
    }
  }
  return { ...store, layout: { ...EII3_CLIENT_LAYOUT, curveKeyClients, serverCertificates } };
}
