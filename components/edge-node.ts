// The node: every concern of the bootstrap as one component, ordered by its inputs and outputs.
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ImportedCa } from "../clients/ca-import";
import { SECRET_FILE_MODE, SERVICE_FILES } from "../clients/files";
import type { NodeConfig } from "../config/node-config";
import { PlainFile } from "../providers/plain-file";
import { ConfigStore, ConfigStoreServiceOutputs } from "./configstore";
import { Pki } from "./pki";

export interface EdgeNodeArgs {
  readonly config: NodeConfig;
  readonly importedCa?: ImportedCa;
}

export interface ServiceOutputs extends Partial<ConfigStoreServiceOutputs> {
  dir: string;
  certPath: string;
  keyPath: string;
}

export interface EdgeNodeOutputs {
  secretsRoot: string;
  caCertPath: pulumi.Output<string>;
  services: pulumi.Output<Record<string, ServiceOutputs>>;
  configStore?: { endpoint: string; prefix: string; caCertPath: pulumi.Output<string | undefined> };
}

export class EdgeNode extends pulumi.ComponentResource {
  readonly pki: Pki;
  readonly configStore?: ConfigStore;
  readonly outputs: EdgeNodeOutputs;

  constructor(name: string, args: EdgeNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:node:EdgeNode", name, {}, opts);
    const { config } = args;
    this.pki = new Pki("pki", { secretsRoot: config.secretsRoot, ca: config.ca, importedCa: args.importedCa, services: config.services }, { parent: this });

    const services: Record<string, pulumi.Output<ServiceOutputs>> = {};
    const readyFiles: Record<string, PlainFile> = {};
    const readyFile = (service: NodeConfig["services"][number]): PlainFile => {
      if (readyFiles[service.name]) return readyFiles[service.name];
      const cert = this.pki.certificates[service.name];
      // The readiness file is the contract with processes outside the graph: written last, after every
      // file of the service's folder; its content names what it vouches for.
      return (readyFiles[service.name] = new PlainFile(
        `${service.name}-ready`,
        {
          path: join(config.secretsRoot, service.name, SERVICE_FILES.ready),
          content: pulumi.interpolate`${pulumi.jsonStringify({ service: service.name, certificateSerial: cert.serialNumber })}\n`,
          mode: SECRET_FILE_MODE,
          uid: service.owner.uid,
          gid: service.owner.gid,
        },
        { parent: this, dependsOn: [...(this.configStore?.serviceResources[service.name] ?? [])] },
      ));
    };

    if (config.configStore) {
      // The etcd server's own folder is ready before the store is configured (it is no client of the store).
      const server = config.services.find((s) => s.name === config.configStore!.service);
      this.configStore = new ConfigStore(
        "config-store",
        { config: config.configStore, secretsRoot: config.secretsRoot, services: config.services, caCertPem: this.pki.ca.certPem, caKeyPem: this.pki.ca.keyPem, caCertPath: this.pki.caCertPath, serverReady: server && [readyFile(server)] },
        { parent: this },
      );
    }

    for (const service of config.services) {
      const cert = this.pki.certificates[service.name];
      readyFile(service);
      const store = this.configStore?.services[service.name] ?? {};
      services[service.name] = pulumi.all([cert.dir, cert.certPath, cert.keyPath, store]).apply(([dir, certPath, keyPath, etcd]) => ({ dir, certPath, keyPath, ...etcd }));
    }

    this.outputs = {
      secretsRoot: config.secretsRoot,
      caCertPath: this.pki.caCertPath,
      services: pulumi.all(services),
      ...(this.configStore && { configStore: { endpoint: this.configStore.endpoint, prefix: this.configStore.prefix, caCertPath: this.configStore.caCertPath } }),
    };
    this.registerOutputs(this.outputs);
  }
}
