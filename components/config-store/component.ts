// The EII config store on the node's etcd: root and `auth enable`, one identity per client service (etcd user,
// role, client certificate, CURVE keys), the default configuration per service and GlobalEnv. In DEV_MODE:
// no TLS, no auth, no keys, only the configuration and GlobalEnv's DEV_MODE, and a warning on every run.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { join } from "node:path";
import * as pulumi from "../shared/pulumi";
import { PUBLIC_FILE_MODE } from "../shared/files";
import { PlainFile } from "../shared/plain-file";
import type { ClientSetting, ConfigStoreConfig } from "./config";
import { GLOBAL_ENV } from "./default-config";
import type { ServiceConfig } from "../node-config";
import { EtcdAuth } from "./etcd-auth";
import { EtcdKeys } from "./etcd-keys";
import { EtcdRootPassword } from "./etcd-root-password";
import { ETCD_CLIENT_FILES } from "./etcd-client-cert";
import { EtcdServerCertificate } from "./etcd-server-certificate";
import { EtcdServiceAccess } from "./etcd-service-access";

/** server_cert, server_key and ca_cert as EII's agent puts them into a config: PEM text, or base64 DER. */
function serverCertificateFields(format: "pem" | "der", certPem: string, keyPem: string, caPem: string): Record<string, string> {
  if (format === "pem") return { server_cert: certPem, server_key: keyPem, ca_cert: caPem };
  const der = (pem: string) => new X509Certificate(pem).raw.toString("base64");
  return { server_cert: der(certPem), server_key: createPrivateKey(keyPem).export({ type: "pkcs8", format: "der" }).toString("base64"), ca_cert: der(caPem) };
}

export interface ConfigStoreArgs {
  readonly config: ConfigStoreConfig;
  readonly secretsRoot: string;
  readonly services: readonly ServiceConfig[];
  readonly caCertPem: pulumi.Input<string>;
  /** Secret. */
  readonly caKeyPem: pulumi.Input<string>;
  readonly caCertPath: pulumi.Input<string>;
  /** Per service, what owns its folder (the PKI's certificate): the store's files there are removed before it. */
  readonly serviceFolders?: Record<string, pulumi.Resource>;
  /** The node's CA file content (ca.pem: the CA and, for an intermediate, its chain), for a layout's CA copy. */
  readonly caFilePem?: pulumi.Input<string>;
  /** What must exist before etcd can answer: the server's readiness file (its certificate is in place). */
  readonly serverReady?: pulumi.Input<pulumi.Resource>[];
}

export interface ConfigStoreServiceOutputs {
  /** Secure mode only. */
  etcdUser?: string;
  etcdCertPath?: string;
  etcdKeyPath?: string;
  /** Where the service reaches etcd (configStore.clientEndpoint). */
  etcdHost: string;
  etcdPort: number;
  /** The layout's env file in the service's folder, when it has one. */
  etcdEnvFile?: string;
}

export const DEV_MODE_WARNING =
  "DEV_MODE: the config store runs WITHOUT TLS, WITHOUT authentication and WITHOUT ZeroMQ CURVE keys; every process on the node can read and change every key. Never use it on a production node (set edge-security:configStore.production: true to forbid it).";

export class ConfigStore extends pulumi.ComponentResource {
  readonly endpoint: string;
  readonly prefix: string;
  readonly caCertPath: pulumi.Output<string | undefined>;
  /** Per client service: its etcd identity (secure mode only). */
  readonly services: Record<string, pulumi.Output<ConfigStoreServiceOutputs>> = {};
  /** Per service: what must exist before its readiness file is written. */
  readonly serviceResources: Record<string, pulumi.Resource[]> = {};

  private readonly config: ConfigStoreConfig;

  /**
   * The layout's environment of a client service (its env file's variables), with the service's folder at `dir`
   * and the CA at `caFile` (default `<dir>/ca.pem`) as the service sees them; undefined without an env file.
   */
  clientEnvironment(client: string, dir: string, caFile?: string): Record<string, string> | undefined {
    const { config } = this;
    const envFile = config.layout?.envFile;
    if (!envFile || !config.clients.includes(client)) return undefined;
    const named = (template: string | undefined, fallback: string) => template?.replaceAll("{service}", client) ?? fallback;
    const settings: Record<ClientSetting, string | undefined> = {
      service: client,
      devMode: String(config.devMode),
      host: config.clientHost,
      port: String(config.clientPort),
      prefix: config.prefix,
      // No files in DEV_MODE (no TLS).
      certPath: config.devMode ? undefined : join(dir, named(config.layout?.certFile, ETCD_CLIENT_FILES.cert)),
      keyPath: config.devMode ? undefined : join(dir, named(config.layout?.keyFile, ETCD_CLIENT_FILES.key)),
      caCertPath: config.devMode ? undefined : (caFile ?? join(dir, "ca.pem")),
    };
    return Object.fromEntries(Object.entries(envFile.variables).flatMap(([variable, setting]) => (settings[setting] === undefined ? [] : [[variable, settings[setting]!]])));
  }

  constructor(name: string, args: ConfigStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:configstore:ConfigStore", name, {}, opts);
    const { config } = args;
    this.config = config;
    this.endpoint = config.endpoint;
    this.prefix = config.prefix;
    for (const warning of config.warnings) pulumi.log.warn(warning, this);
    if (config.devMode) pulumi.log.warn(DEV_MODE_WARNING, this);

    const common = { endpoint: config.endpoint, waitTimeoutSeconds: config.waitTimeoutSeconds };
    let admin: { caCertPem?: pulumi.Input<string>; caKeyPem?: pulumi.Input<string> } = {};
    // What every store resource waits for: `auth enable` (secure), or the server's folder (DEV_MODE).
    let after: pulumi.Input<pulumi.Resource>[] | undefined = args.serverReady;
    if (!config.devMode) {
      const rootPassword = new EtcdRootPassword(`${name}-root-password`, { parent: this });
      const auth = new EtcdAuth(
        `${name}-auth`,
        { ...common, caCertPem: args.caCertPem, caKeyPem: args.caKeyPem, rootPassword: rootPassword.password },
        { parent: this, dependsOn: args.serverReady },
      );
      admin = { caCertPem: args.caCertPem, caKeyPem: args.caKeyPem };
      after = [auth];
    }

    // `secret`: the defaults hold a private key (a server certificate's), kept secret in the state.
    const keys = (resourceName: string, group: string, defaults: pulumi.Input<Record<string, string>>, secret = false) =>
      new EtcdKeys(
        resourceName,
        { ...common, ...admin, group, defaults, overwriteOperatorChanges: config.overwriteOperatorChanges },
        { parent: this, dependsOn: after, ...(secret ? { additionalSecretOutputs: ["defaults", "values"] } : {}) },
        secret,
      );

    const layout = config.layout ?? {};
    const named = (template: string | undefined, service: string) => template?.replaceAll("{service}", service);
    const clientRoot = config.clientSecretsRoot ?? args.secretsRoot;
    // A layout's copy of the CA for the clients, at its own path under the secrets root.
    const caCopy =
      layout.caFile && !config.devMode
        ? new PlainFile(`${name}-client-ca`, { path: join(args.secretsRoot, layout.caFile), content: args.caFilePem ?? args.caCertPem, mode: PUBLIC_FILE_MODE, dirMode: 0o755, removeEmptyDir: true }, { parent: this })
        : undefined;

    const byName = new Map(args.services.map((s) => [s.name, s]));
    for (const client of config.clients) {
      const service = byName.get(client)!;
      const resources: pulumi.Resource[] = caCopy ? [caCopy] : [];
      const where = { etcdHost: config.clientHost, etcdPort: config.clientPort };
      const certFile = named(layout.certFile, client);
      const keyFile = named(layout.keyFile, client);
      if (layout.envFile) {
        // Paths as the service sees them: its folder under clientSecretsRoot, the CA at the layout's path.
        const lines = Object.entries(this.clientEnvironment(client, join(clientRoot, client), layout.caFile ? join(clientRoot, layout.caFile) : undefined) ?? {}).map(([k, v]) => `${k}=${v}`);
        const path = join(args.secretsRoot, client, layout.envFile.name);
        resources.push(
          new PlainFile(
            `${client}-etcd-env`,
            { path, content: `# ${client}'s settings for the config store (written by edge-security; compose env_file)\n${lines.join("\n")}\n`, mode: PUBLIC_FILE_MODE, uid: service.owner.uid, gid: service.owner.gid },
            // Removed before the folder's owner, which then removes the folder.
            { parent: this, dependsOn: args.serviceFolders?.[client] },
          ),
        );
        Object.assign(where, { etcdEnvFile: path });
      }
      this.services[client] = pulumi.output(where);
      if (!config.devMode) {
        const access = new EtcdServiceAccess(
          `${client}-etcd`,
          {
            ...common,
            prefix: config.prefix,
            service: client,
            user: client,
            dir: join(args.secretsRoot, client),
            uid: service.owner.uid,
            gid: service.owner.gid,
            keyType: service.keyType,
            lifetimeDays: service.lifetimeDays,
            caCertPem: admin.caCertPem!,
            caKeyPem: admin.caKeyPem!,
            ...(certFile && keyFile ? { certFile, keyFile } : {}),
            ...(layout.curveKeyClients && !layout.curveKeyClients.includes(client) ? { curveKeys: false } : {}),
          },
          { parent: this, dependsOn: after },
        );
        resources.push(access);
        this.services[client] = pulumi.all([access.user, access.certPath, access.keyPath]).apply(([etcdUser, etcdCertPath, etcdKeyPath]) => ({ etcdUser, etcdCertPath, etcdKeyPath, ...where }));
      }
      const defaults = config.defaults[client];
      const format = layout.serverCertificates?.[client];
      if (defaults && format) {
        const issued = new EtcdServerCertificate(
          `${client}-etcd-server-cert`,
          { service: client, dnsNames: service.dnsNames, ipAddresses: service.ipAddresses, keyType: service.keyType, lifetimeDays: service.lifetimeDays, caCertPem: args.caCertPem, caKeyPem: args.caKeyPem },
          { parent: this },
        );
        const configKey = `${config.prefix}/${client}/config`;
        const withCertificate = pulumi.secret(
          pulumi.all([issued.certPem, issued.keyPem, args.caCertPem]).apply(([certPem, keyPem, caPem]) => ({
            ...defaults,
            [configKey]: JSON.stringify({ ...JSON.parse(defaults[configKey]), ...serverCertificateFields(format, certPem, keyPem, caPem) }),
          })),
        );
        resources.push(keys(`${client}-etcd-config`, client, withCertificate, true));
      } else if (defaults) resources.push(keys(`${client}-etcd-config`, client, defaults));
      this.serviceResources[client] = resources;
    }
    // GlobalEnv: the file's global keys, and DEV_MODE so that every service knows which mode it runs in.
    const globalEnv = { ...config.defaults[GLOBAL_ENV], [`${config.prefix}/${GLOBAL_ENV}/DEV_MODE`]: String(config.devMode) };
    if (layout.devModeInGlobalEnv) {
      // The /GlobalEnv/ object itself, as EII's agent writes it: the file's members and DEV_MODE.
      const key = `${config.prefix}/${GLOBAL_ENV}/`;
      globalEnv[key] = JSON.stringify({ ...(globalEnv[key] === undefined ? {} : JSON.parse(globalEnv[key])), DEV_MODE: String(config.devMode) });
    }
    const globals = keys(`${name}-global-env`, GLOBAL_ENV, globalEnv);
    for (const client of config.clients) this.serviceResources[client].push(globals);

    this.caCertPath = pulumi.output(config.devMode ? undefined : args.caCertPath);
    this.registerOutputs({ endpoint: this.endpoint, prefix: this.prefix, caCertPath: this.caCertPath });
  }
}
