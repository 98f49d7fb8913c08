// The EII config store on the node's etcd: root and `auth enable`, one identity per client service (etcd user,
// role, client certificate, CURVE keys), the default configuration per service and GlobalEnv. In DEV_MODE:
// no TLS, no auth, no keys, only the configuration and GlobalEnv's DEV_MODE, and a warning on every run.
import { join } from "node:path";
import * as pulumi from "../shared/pulumi";
import type { ConfigStoreConfig } from "./config";
import { GLOBAL_ENV } from "./default-config";
import type { ServiceConfig } from "../node-config";
import { EtcdAuth } from "./etcd-auth";
import { EtcdKeys } from "./etcd-keys";
import { EtcdRootPassword } from "./etcd-root-password";
import { EtcdServiceAccess } from "./etcd-service-access";

export interface ConfigStoreArgs {
  readonly config: ConfigStoreConfig;
  readonly secretsRoot: string;
  readonly services: readonly ServiceConfig[];
  readonly caCertPem: pulumi.Input<string>;
  /** Secret. */
  readonly caKeyPem: pulumi.Input<string>;
  readonly caCertPath: pulumi.Input<string>;
  /** What must exist before etcd can answer: the server's readiness file (its certificate is in place). */
  readonly serverReady?: pulumi.Input<pulumi.Resource>[];
}

export interface ConfigStoreServiceOutputs {
  etcdUser: string;
  etcdCertPath: string;
  etcdKeyPath: string;
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

  constructor(name: string, args: ConfigStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:configstore:ConfigStore", name, {}, opts);
    const { config } = args;
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

    const keys = (resourceName: string, group: string, defaults: Record<string, string>) =>
      new EtcdKeys(
        resourceName,
        { ...common, ...admin, group, defaults, overwriteOperatorChanges: config.overwriteOperatorChanges },
        { parent: this, dependsOn: after },
      );

    const byName = new Map(args.services.map((s) => [s.name, s]));
    for (const client of config.clients) {
      const service = byName.get(client)!;
      const resources: pulumi.Resource[] = [];
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
          },
          { parent: this, dependsOn: after },
        );
        resources.push(access);
        this.services[client] = pulumi.all([access.user, access.certPath, access.keyPath]).apply(([etcdUser, etcdCertPath, etcdKeyPath]) => ({ etcdUser, etcdCertPath, etcdKeyPath }));
      }
      const defaults = config.defaults[client];
      if (defaults) resources.push(keys(`${client}-etcd-config`, client, defaults));
      this.serviceResources[client] = resources;
    }
    // GlobalEnv: the file's global keys, and DEV_MODE so that every service knows which mode it runs in.
    const globalEnv = { ...config.defaults[GLOBAL_ENV], [`${config.prefix}/${GLOBAL_ENV}/DEV_MODE`]: String(config.devMode) };
    const globals = keys(`${name}-global-env`, GLOBAL_ENV, globalEnv);
    for (const client of config.clients) this.serviceResources[client].push(globals);

    this.caCertPath = pulumi.output(config.devMode ? undefined : args.caCertPath);
    this.registerOutputs({ endpoint: this.endpoint, prefix: this.prefix, caCertPath: this.caCertPath });
  }
}
