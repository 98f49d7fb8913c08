// The node: every concern of the bootstrap as one component, ordered by its inputs and outputs.
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ImportedCa } from "../clients/ca-import";
import { SECRET_FILE_MODE, SERVICE_FILES } from "../clients/files";
import type { NodeConfig } from "../config/node-config";
import { PlainFile } from "../providers/plain-file";
import { Pki } from "./pki";
import { SecretStore, SecretStoreServiceOutputs } from "./secret-store";

export interface EdgeNodeArgs {
  readonly config: NodeConfig;
  readonly importedCa?: ImportedCa;
  /** The secret store's custody secret (a Pulumi secret); required when config.secretStore is set. */
  readonly custodySecret?: pulumi.Input<string>;
}

export interface ServiceOutputs extends Partial<SecretStoreServiceOutputs> {
  dir: string;
  certPath: string;
  keyPath: string;
}

export interface EdgeNodeOutputs {
  secretsRoot: string;
  caCertPath: pulumi.Output<string>;
  services: pulumi.Output<Record<string, ServiceOutputs>>;
  secretStore?: { address: pulumi.Output<string>; caCertPath: pulumi.Output<string> };
}

export class EdgeNode extends pulumi.ComponentResource {
  readonly pki: Pki;
  readonly secretStore?: SecretStore;
  readonly outputs: EdgeNodeOutputs;

  constructor(name: string, args: EdgeNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:node:EdgeNode", name, {}, opts);
    const { config } = args;
    this.pki = new Pki("pki", { secretsRoot: config.secretsRoot, ca: config.ca, importedCa: args.importedCa, services: config.services }, { parent: this });

    // The readiness file is the contract with processes outside the graph: written last, after every file and
    // secret of the service; its content names the certificate it vouches for.
    const readyFile = (service: (typeof config.services)[number], dependsOn: pulumi.Resource[]) =>
      new PlainFile(
        `${service.name}-ready`,
        {
          path: join(config.secretsRoot, service.name, SERVICE_FILES.ready),
          content: pulumi.interpolate`${pulumi.jsonStringify({ service: service.name, certificateSerial: this.pki.certificates[service.name].serialNumber })}\n`,
          mode: SECRET_FILE_MODE,
          uid: service.owner.uid,
          gid: service.owner.gid,
        },
        { parent: this, dependsOn },
      );

    // Servers that run beside the graph (the secret store) start once their own folder is ready, so their
    // readiness comes first and depends on nothing of theirs.
    const serverServices = new Set([config.secretStore?.service].filter((s): s is string => s !== undefined));
    const serverReady = config.services.filter((s) => serverServices.has(s.name)).map((s) => readyFile(s, []));

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
          serverReady,
          gatewayCertificate: storeConfig.gatewayService ? this.pki.certificates[storeConfig.gatewayService] : undefined,
        },
        { parent: this },
      );
    }

    const services: Record<string, pulumi.Output<ServiceOutputs>> = {};
    for (const service of config.services) {
      if (!serverServices.has(service.name)) readyFile(service, [...(this.secretStore?.serviceResources[service.name] ?? [])]);
      const cert = this.pki.certificates[service.name];
      const store = this.secretStore?.services[service.name];
      services[service.name] = pulumi.all([cert.dir, cert.certPath, cert.keyPath]).apply(([dir, certPath, keyPath]) => ({ dir, certPath, keyPath, ...store }));
    }

    this.outputs = {
      secretsRoot: config.secretsRoot,
      caCertPath: this.pki.caCertPath,
      services: pulumi.all(services),
      ...(this.secretStore ? { secretStore: { address: this.secretStore.address, caCertPath: this.secretStore.caCertPath } } : {}),
    };
    this.registerOutputs(this.outputs);
  }
}
