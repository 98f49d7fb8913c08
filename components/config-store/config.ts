// The stack's `edge-security:configStore` section: the EII config store on etcd. Schema, defaults, and the
// checks that need the service list; one-line errors naming the key. No Pulumi in here.
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { ADMIN_CLIENT_CN, ROOT_USER } from "./etcd-names";
import { DefaultConfigError, GLOBAL_ENV, loadDefaultConfig, PUBLIC_KEYS } from "./default-config";

export const DEFAULT_ETCD_ENDPOINT = "https://127.0.0.1:2379";
export const DEFAULT_ETCD_SERVICE = "etcd";

export const configStoreSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The etcd server's service in `services` (its certificate, folder and readiness file). */
    service: z.string().min(1).default(DEFAULT_ETCD_SERVICE),
    endpoint: z.string().optional(),
    /** How client services reach etcd, "host:port" (default: the endpoint's); the host must be in etcd's certificate. */
    clientEndpoint: z.string().optional(),
    /** Where client services see the secrets root (their env file's paths start with it); default: the secrets root. */
    clientSecretsRoot: z.string().refine((p) => p.startsWith("/"), (p) => ({ message: `${JSON.stringify(p)} must be an absolute path` })).optional(),
    /** Put in front of every key and every role range: "" or "/name" (no trailing "/"). */
    prefix: z
      .string()
      .refine((p) => p === "" || (/^\/[^/]/.test(p) && !p.endsWith("/")), (p) => ({ message: `${JSON.stringify(p)} must be empty or start with "/" and not end with "/"` }))
      .default(""),
    /** The services that get an etcd user, role, client certificate and CURVE keys (default: all but the server). */
    clients: z.array(z.string()).optional(),
    defaultConfigFile: z.string().min(1).optional(),
    overwriteOperatorChanges: z.boolean().default(false),
    devMode: z.boolean().default(false),
    production: z.boolean().default(false),
    waitTimeoutSeconds: z.number().int("must be a whole number of seconds").positive("must be a positive number of seconds").default(60),
  })
  .strict();

export type RawConfigStore = z.input<typeof configStoreSchema>;

/** Which value of the store an env-file variable holds (ClientLayout.envFile). */
export type ClientSetting = "service" | "devMode" | "host" | "port" | "prefix" | "certPath" | "keyPath" | "caCertPath";

/**
 * What a layout (components/layouts/) asks of the store beyond the generic identity: file names, an env file per
 * client, DEV_MODE inside the /GlobalEnv/ object, which clients get CURVE keys. Not stack keys.
 */
export interface ClientLayout {
  /** The client certificate's and key's file names in the service's folder; "{service}" stands for its name. */
  certFile?: string;
  keyFile?: string;
  /** A copy of the CA certificate at this path under the secrets root, for the clients. */
  caFile?: string;
  /** An env file in each client's folder (compose's env_file): its name and its variables. */
  envFile?: { name: string; variables: Record<string, ClientSetting> };
  /** DEV_MODE also as a member of the /GlobalEnv/ object. */
  devModeInGlobalEnv?: boolean;
  /** The clients that get CURVE keys (default: all). */
  curveKeyClients?: string[];
  /** Clients whose `/<client>/config` object gets `server_cert`, `server_key`, `ca_cert`: PEM text or base64 DER. */
  serverCertificates?: Record<string, "pem" | "der">;
}

export interface ConfigStoreConfig {
  /** The etcd server's service name (its folder holds the server's certificate). */
  service: string;
  endpoint: string;
  /** How client services reach etcd. */
  clientHost: string;
  clientPort: number;
  clientSecretsRoot?: string;
  /** The default-config file, as an absolute path. */
  defaultConfigFile?: string;
  layout?: ClientLayout;
  prefix: string;
  clients: string[];
  devMode: boolean;
  overwriteOperatorChanges: boolean;
  waitTimeoutSeconds: number;
  /** The default-config file's keys per group (service or GlobalEnv), with the prefix. */
  defaults: Record<string, Record<string, string>>;
  /** Warnings for the run (keys of services not in the stack). */
  warnings: string[];
}

export interface ServiceNames {
  name: string;
  dnsNames: string[];
  ipAddresses: string[];
}

type Fail = (path: (string | number)[], message: string) => never;

/**
 * The section, already checked by `configStoreSchema`, against the stack's services. `fail` throws the
 * caller's one-line error for a key path under configStore. Returns undefined when the section is disabled.
 */
export function resolveConfigStore(section: z.output<typeof configStoreSchema>, services: readonly ServiceNames[], fail: Fail): ConfigStoreConfig | undefined {
  if (!section.enabled) return undefined;
  const at = (...path: (string | number)[]) => ["configStore", ...path];
  if (section.devMode && section.production) fail(at("devMode"), "DEV_MODE is not allowed on this node: configStore.production is true");

  const endpoint = section.endpoint ?? (section.devMode ? "http://127.0.0.1:2379" : DEFAULT_ETCD_ENDPOINT);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return fail(at("endpoint"), `${JSON.stringify(endpoint)} is not a URL like ${DEFAULT_ETCD_ENDPOINT}`);
  }
  const scheme = section.devMode ? "http:" : "https:";
  if (url.protocol !== scheme || !url.port || url.pathname !== "/" || url.search || url.username) {
    fail(at("endpoint"), section.devMode ? `${JSON.stringify(endpoint)} must be http://host:port (DEV_MODE has no TLS)` : `${JSON.stringify(endpoint)} must be https://host:port (plain http only with devMode)`);
  }

  const names = services.map((s) => s.name);
  // A service certificate's CN is its name, and etcd takes a client certificate's CN as the user.
  services.forEach((s, i) => {
    if (s.name === ROOT_USER || s.name === ADMIN_CLIENT_CN) fail(["services", i, "name"], `${JSON.stringify(s.name)} is an etcd administrator's name: with the config store on, its certificate would log in as that administrator`);
  });
  const server = services.find((s) => s.name === section.service);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  // "host:port" as EII's ETCD_ENDPOINT has it (no scheme; an IPv6 address in brackets).
  let clientHost = host;
  let clientPort = Number(url.port);
  if (section.clientEndpoint !== undefined) {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:/\s[\]]+)):(\d{1,5})$/.exec(section.clientEndpoint);
    if (!match || Number(match[3]) < 1 || Number(match[3]) > 65535) fail(at("clientEndpoint"), `${JSON.stringify(section.clientEndpoint)} must be host:port (no scheme): where client services reach etcd`);
    clientHost = match![1] ?? match![2];
    clientPort = Number(match![3]);
  }
  if (!section.devMode) {
    if (!server) fail(at("service"), `${JSON.stringify(section.service)} is not in services: the etcd server needs its certificate from the node's PKI`);
    const inCertificate = (h: string) => server!.dnsNames.includes(h) || server!.ipAddresses.includes(h);
    const sans = [...server!.dnsNames, ...server!.ipAddresses].join(", ");
    if (!inCertificate(host)) fail(at("endpoint"), `the host ${JSON.stringify(host)} is not in the certificate of service ${JSON.stringify(section.service)} (${sans})`);
    if (!inCertificate(clientHost)) fail(at("clientEndpoint"), `the host ${JSON.stringify(clientHost)} is not in the certificate of service ${JSON.stringify(section.service)} (${sans}): add it to that service's hostnames or extraSans`);
  }

  const clients = section.clients ?? names.filter((n) => n !== section.service);
  const seen = new Set<string>();
  clients.forEach((name, i) => {
    if (!names.includes(name)) fail(at("clients", i), `${JSON.stringify(name)} is not in services`);
    if (name === section.service) fail(at("clients", i), `${JSON.stringify(name)} is the etcd server itself`);
    if (name === GLOBAL_ENV || name === PUBLIC_KEYS) fail(at("clients", i), `${JSON.stringify(name)} is a reserved etcd path`);
    if (seen.has(name)) fail(at("clients", i), `duplicate ${JSON.stringify(name)}`);
    seen.add(name);
  });

  const warnings: string[] = [];
  let defaults: Record<string, Record<string, string>> = {};
  // A relative path is taken from the working folder: the project folder under `npm run edge` and `pulumi`.
  const file = section.defaultConfigFile && (isAbsolute(section.defaultConfigFile) ? section.defaultConfigFile : resolve(section.defaultConfigFile));
  if (file) {
    try {
      const loaded = loadDefaultConfig(file, section.prefix, clients);
      defaults = loaded.groups;
      for (const [group, keys] of Object.entries(loaded.skipped)) {
        warnings.push(`edge-security:configStore.defaultConfigFile: ${file}: ${JSON.stringify(group)} is not a config-store client of this stack; its ${keys.length} key(s) are not loaded (${keys.join(", ")})`);
      }
    } catch (err) {
      if (err instanceof DefaultConfigError) fail(at("defaultConfigFile"), err.message);
      throw err;
    }
  }

  return {
    service: section.service,
    endpoint,
    clientHost,
    clientPort,
    ...(section.clientSecretsRoot ? { clientSecretsRoot: section.clientSecretsRoot } : {}),
    ...(file ? { defaultConfigFile: file } : {}),
    prefix: section.prefix,
    clients,
    devMode: section.devMode,
    overwriteOperatorChanges: section.overwriteOperatorChanges,
    waitTimeoutSeconds: section.waitTimeoutSeconds,
    defaults,
    warnings,
  };
}
