// The node: every concern of the bootstrap as one component, ordered by its inputs and outputs.
import { isIP } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "./shared/pulumi";
import type { ImportedCa } from "./pki/ca-import";
import { SECRET_FILE_MODE, SERVICE_FILES } from "./shared/files";
import type { NodeConfig } from "./node-config";
import { PlainFile } from "./shared/plain-file";
import { ConfigStore, ConfigStoreServiceOutputs } from "./config-store/component";
import { Databases, DatabasesOutputs } from "./databases/component";
import { NginxGateway, NginxGatewayStackOutputs } from "./gateway/nginx/component";
import { KongGateway, KongGatewayOutputs } from "./gateway/kong/component";
import { kongGatewaySchema } from "./gateway/kong/config";
import { Pki, PkiArgs } from "./pki/component";
import { SecretStore, SecretStoreServiceOutputs, TOKEN_FILE_NAME } from "./secret-store/component";
import { Containers, serviceDir } from "./containers/component";
import { MessageBus } from "./message-bus/component";
import { EDGEX_ENV_FILE, EDGEX_SECRETS_MOUNT, EdgexNodeAddresses, edgexServiceEnv, envFileContent } from "./layouts/edgex4";
import { generationInput } from "./lifecycle/config";
import type { LayoutIdentity } from "./gateway/nginx/component";
import { edgexNginxIdentity } from "./layouts/edgex4";

export interface EdgeNodeArgs {
  readonly config: NodeConfig;
  readonly importedCa?: ImportedCa;
  /** The secret store's custody secret (a Pulumi secret); required when config.secretStore is set. */
  readonly custodySecret?: pulumi.Input<string>;
  /** Set when config.ca.source is "org": the node CA's requests and the org's signatures (components/fleet/). */
  readonly org?: PkiArgs["org"];
}

export interface ServiceOutputs extends Partial<SecretStoreServiceOutputs>, Partial<ConfigStoreServiceOutputs> {
  /** The service's MongoDB user, when the databases include Mongo. */
  mongoUser?: string;
  dir: string;
  certPath: string;
  keyPath: string;
}

export interface EdgeNodeOutputs {
  secretsRoot: string;
  caCertPath: pulumi.Output<string>;
  services: pulumi.Output<Record<string, ServiceOutputs>>;
  secretStore?: { address: pulumi.Output<string>; caCertPath: pulumi.Output<string> };
  configStore?: { endpoint: string; prefix: string; caCertPath: pulumi.Output<string | undefined> };
  /** Present when `databases` is configured: where each database is, no passwords. */
  databases?: DatabasesOutputs;
  /** Present when `gateway` is configured: kind, addresses and the route paths (NGINX: users, passwords as secrets). */
  gateway?: KongGatewayOutputs | NginxGatewayStackOutputs;
  /** Present when `messageBus` is configured: the broker's URL. */
  messageBus?: { url: string };
}

export class EdgeNode extends pulumi.ComponentResource {
  readonly pki: Pki;
  readonly secretStore?: SecretStore;
  readonly configStore?: ConfigStore;
  readonly databases?: Databases;
  readonly nginxGateway?: NginxGateway;
  readonly kongGateway?: KongGateway;
  readonly containers?: Containers;
  readonly messageBus?: MessageBus;
  readonly outputs: EdgeNodeOutputs;

  constructor(name: string, args: EdgeNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:node:EdgeNode", name, {}, opts);
    const { config } = args;
    this.pki = new Pki("pki", { secretsRoot: config.secretsRoot, ca: config.ca, importedCa: args.importedCa, services: config.services, org: args.org }, { parent: this });

    // The readiness file is the contract with processes outside the graph: written last, after every file and
    // secret of the service (what the components built so far list for it); its content names the certificate
    // it vouches for. A server that runs beside the graph (secret store, etcd) starts once its own folder is
    // ready, so its readiness file is made before its component and waits for nothing of that component.
    const readyFiles: Record<string, PlainFile> = {};
    // The EdgeX layout's env files (made below, before the readiness files of their services).
    const edgexEnvFiles: Record<string, PlainFile> = {};
    const readyFile = (service: NodeConfig["services"][number]): PlainFile =>
      (readyFiles[service.name] ??= new PlainFile(
        `${service.name}-ready`,
        {
          path: join(config.secretsRoot, service.name, SERVICE_FILES.ready),
          content: pulumi.interpolate`${pulumi.jsonStringify({ service: service.name, certificateSerial: this.pki.certificates[service.name].serialNumber, ...readyRotation(service) })}\n`,
          mode: SECRET_FILE_MODE,
          uid: service.owner.uid,
          gid: service.owner.gid,
        },
        {
          parent: this,
          dependsOn: [
            ...[this.secretStore, this.configStore, this.databases, this.messageBus].flatMap((component) => component?.serviceResources[service.name] ?? []),
            ...(edgexEnvFiles[service.name] ? [edgexEnvFiles[service.name]] : []),
            // NGINX and its auth service start on the gateway's readiness file: its configuration comes first.
            ...(this.nginxGateway && service.name === config.gateway?.service ? this.nginxGateway.resources : []),
          ],
        },
      ));
    // A rotated token or password changes the readiness file too, so a service that watches it re-reads them.
    // Only generations above 0 are written: a stack that never rotated keeps its readiness files as they are.
    const readyRotation = (service: NodeConfig["services"][number]) => {
      const hasStoreCredentials = config.secretStore !== undefined && service.name !== config.secretStore.service;
      const token = hasStoreCredentials ? generationInput(service.rotation?.token) : undefined;
      const password = hasStoreCredentials ? generationInput(service.rotation?.password) : undefined;
      return token === undefined && password === undefined ? {} : { rotation: { ...(token ? { token } : {}), ...(password ? { password } : {}) } };
    };
    const serverOf = (name: string) => config.services.find((s) => s.name === name);

    const storeConfig = config.secretStore;
    if (storeConfig) {
      if (args.custodySecret === undefined) throw new Error("EdgeNode: custodySecret is required when config.secretStore is set");
      this.secretStore = new SecretStore(
        "secret-store",
        {
          config: storeConfig,
          secretsRoot: config.secretsRoot,
          services: config.services.filter((s) => s.name !== storeConfig.service),
          caPem: this.pki.ca.trustBundlePem,
          caCertPath: this.pki.caCertPath,
          custodySecret: args.custodySecret,
          serverReady: [readyFile(serverOf(storeConfig.service)!)],
          gatewayCertificate: storeConfig.gatewayService ? this.pki.certificates[storeConfig.gatewayService] : undefined,
        },
        { parent: this },
      );
    }

    if (config.configStore) {
      const server = serverOf(config.configStore.service);
      this.configStore = new ConfigStore(
        "config-store",
        { config: config.configStore, secretsRoot: config.secretsRoot, services: config.services, caCertPem: this.pki.ca.certPem, caKeyPem: this.pki.ca.keyPem, caCertPath: this.pki.caCertPath, caFilePem: this.pki.ca.trustBundlePem, serviceFolders: this.pki.certificates, serverReady: server && [readyFile(server)] },
        { parent: this },
      );
    }

    if (config.databases) {
      // The passwords are the secret store's per-service credentials (the config requires the store).
      this.databases = new Databases("databases", { ...config.databases, credentials: this.secretStore!.credentials }, { parent: this });
    }

    if (config.gateway?.kind === "nginx") {
      // NGINX checks the store's certificate by DNS name only: the address's host, or the store service's first name.
      const storeHost = new URL(storeConfig!.address).hostname;
      const storeTlsName = isIP(storeHost.replace(/^\[|\]$/g, "")) === 0 ? storeHost : (serverOf(storeConfig!.service)?.dnsNames[0] ?? storeHost);
      this.nginxGateway = new NginxGateway("gateway", { config: config.gateway, secretsRoot: config.secretsRoot, secretStore: this.secretStore!, caCertPath: this.pki.caCertPath, storeTlsName, layoutIdentity: this.edgexGatewayIdentity(config) }, { parent: this });
    }
    if (config.gateway?.kind === "kong") {
      // The config requires the secret store, which keeps the gateway service's certificate.
      const kong = config.gateway.kong ?? kongGatewaySchema.parse({});
      const tls = this.secretStore!.gatewayTls!;
      let adminCaPem: pulumi.Input<string> = this.pki.ca.trustBundlePem;
      if (kong.adminCaFile) {
        try {
          adminCaPem = readFileSync(kong.adminCaFile, "utf8");
        } catch (err) {
          throw new pulumi.RunError(`edge-security:gateway.kong.adminCaFile: ${kong.adminCaFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
      }
      this.kongGateway = new KongGateway(
        "gateway",
        {
          config: kong,
          routes: config.gateway.routes,
          secretsRoot: config.secretsRoot,
          snis: serverOf(config.gateway.service)!.dnsNames,
          store: this.secretStore!.adminAccess,
          tls: { mount: tls.mount, path: tls.path, certPem: this.pki.certificates[config.gateway.service].certPem, stored: tls.resource },
          adminCaPem,
        },
        { parent: this },
      );
    }

    if (config.messageBus) {
      // The broker's users are known secrets of the store (the config requires it).
      const owner = serverOf(config.messageBus.service)?.owner;
      this.messageBus = new MessageBus("message-bus", { config: config.messageBus, secretsRoot: config.secretsRoot, credentials: this.secretStore!.knownSecrets, owner }, { parent: this });
    }

    // EdgeX layout: each service's settings as an env file in its folder (compose's env_file; paths as mounted at
    // /tmp/edgex/secrets/<svc>) and as its container's environment (paths under containers.mountPath).
    const edgexAddresses = config.layout === "edgex4" ? edgexNodeAddresses(config) : undefined;
    if (edgexAddresses) {
      for (const service of config.services.filter((s) => s.name !== storeConfig!.service && s.name !== config.messageBus?.service)) {
        edgexEnvFiles[service.name] = new PlainFile(
          `${service.name}-edgex-env`,
          { path: join(config.secretsRoot, service.name, EDGEX_ENV_FILE), content: envFileContent(edgexServiceEnv(edgexAddresses, `${EDGEX_SECRETS_MOUNT}/${service.name}`)), mode: SECRET_FILE_MODE, uid: service.owner.uid, gid: service.owner.gid },
          // After the service's store identity: a run the store refuses (e.g. a layout switch) writes nothing.
          { parent: this, dependsOn: this.secretStore?.serviceResources[service.name] ?? [] },
        );
      }
    }

    const services: Record<string, pulumi.Output<ServiceOutputs>> = {};
    for (const service of config.services) {
      readyFile(service);
      const cert = this.pki.certificates[service.name];
      const store = this.secretStore?.services[service.name];
      const etcd = this.configStore?.services[service.name] ?? {};
      const mongoUser = this.databases?.mongoUsers[service.name]?.username;
      services[service.name] = pulumi
        .all([cert.dir, cert.certPath, cert.keyPath, etcd, mongoUser])
        .apply(([dir, certPath, keyPath, etcdOutputs, user]) => ({ dir, certPath, keyPath, ...store, ...etcdOutputs, ...(user === undefined ? {} : { mongoUser: user }) }));
    }

    // The optional container runtime: each container starts after its service's readiness file.
    const containerEnv = (name: string): Record<string, string> | undefined => {
      const edgex = edgexEnvFiles[name] && edgexAddresses ? edgexServiceEnv(edgexAddresses, config.containers!.mountPath) : undefined;
      const etcd = this.configStore?.clientEnvironment(name, config.containers!.mountPath);
      return edgex || etcd ? { ...etcd, ...edgex } : undefined;
    };
    if (config.containers) {
      const services = config.services.map((s) => ({ name: s.name, dir: serviceDir(config.secretsRoot, s.name), dnsNames: s.dnsNames, owner: s.owner, ready: readyFile(s), env: containerEnv(s.name) }));
      this.containers = new Containers("containers", { config: config.containers, services }, { parent: this });
    }

    this.outputs = {
      secretsRoot: config.secretsRoot,
      caCertPath: this.pki.caCertPath,
      services: pulumi.all(services),
      ...(this.secretStore ? { secretStore: { address: this.secretStore.address, caCertPath: this.secretStore.caCertPath } } : {}),
      ...(this.configStore ? { configStore: { endpoint: this.configStore.endpoint, prefix: this.configStore.prefix, caCertPath: this.configStore.caCertPath } } : {}),
      ...(this.databases ? { databases: this.databases.outputs } : {}),
      ...(this.nginxGateway
        ? { gateway: { ...this.nginxGateway.outputs, users: Object.fromEntries(Object.entries(this.nginxGateway.outputs.users).map(([user, paths]) => [user, { ...paths, password: this.nginxGateway!.passwords[user] }])) } }
        : {}),
      ...(this.kongGateway ? { gateway: this.kongGateway.outputs } : {}),
      ...(this.messageBus ? { messageBus: { url: this.messageBus.url } } : {}),
    };
    this.registerOutputs(this.outputs);
  }

  /** The EdgeX 4 layout's gateway identity (the store's engine, users as EdgeX's adduser), else undefined. */
  private edgexGatewayIdentity(config: NodeConfig): LayoutIdentity | undefined {
    const access = config.secretStore?.access;
    const engine = this.secretStore?.identityEngine;
    if (config.layout !== "edgex4" || !access || !engine || !config.gateway) return undefined;
    const service = config.gateway.service;
    const cert = this.pki.certificates[service];
    return edgexNginxIdentity({
      tokenPeriod: access.tokenPeriod,
      userpassAccessor: engine.userpassAccessor,
      tokenFile: join(config.secretsRoot, service, TOKEN_FILE_NAME),
      tls: { certPem: cert.certPem, keyPath: cert.keyPath },
      dependsOn: [engine, ...(this.secretStore!.serviceResources[service] ?? [])],
    });
  }
}

/** Where an EdgeX service reaches the node's store, database and bus (the stack's addresses; loopback by default). */
function edgexNodeAddresses(config: NodeConfig): EdgexNodeAddresses {
  const pg = config.databases?.postgres;
  const bus = config.messageBus;
  const recovery = config.secretStore!.access?.tokenRecovery;
  return {
    store: config.secretStore!.address,
    ...(pg ? { database: { host: pg.host, port: pg.port } } : {}),
    ...(bus ? { bus: { host: bus.host, port: bus.port, tls: bus.tls } } : {}),
    ...(recovery ? { tokenRecovery: { host: recovery.listenHost, port: recovery.port } } : {}),
  };
}
