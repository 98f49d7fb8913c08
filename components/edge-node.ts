// The node: every concern of the bootstrap as one component, ordered by its inputs and outputs.
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ImportedCa } from "../clients/ca-import";
import { SECRET_FILE_MODE, SERVICE_FILES } from "../clients/files";
import type { NodeConfig } from "../config/node-config";
import { PlainFile } from "../providers/plain-file";
import { Pki } from "./pki";

export interface EdgeNodeArgs {
  readonly config: NodeConfig;
  readonly importedCa?: ImportedCa;
}

export interface ServiceOutputs {
  dir: string;
  certPath: string;
  keyPath: string;
}

export interface EdgeNodeOutputs {
  secretsRoot: string;
  caCertPath: pulumi.Output<string>;
  services: pulumi.Output<Record<string, ServiceOutputs>>;
}

export class EdgeNode extends pulumi.ComponentResource {
  readonly pki: Pki;
  readonly outputs: EdgeNodeOutputs;

  constructor(name: string, args: EdgeNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:node:EdgeNode", name, {}, opts);
    const { config } = args;
    this.pki = new Pki("pki", { secretsRoot: config.secretsRoot, ca: config.ca, importedCa: args.importedCa, services: config.services }, { parent: this });

    const services: Record<string, pulumi.Output<ServiceOutputs>> = {};
    for (const service of config.services) {
      const cert = this.pki.certificates[service.name];
      // The readiness file is the contract with processes outside the graph: written last, after every
      // file of the service's folder; its content names what it vouches for.
      new PlainFile(
        `${service.name}-ready`,
        {
          path: join(config.secretsRoot, service.name, SERVICE_FILES.ready),
          content: pulumi.interpolate`${pulumi.jsonStringify({ service: service.name, certificateSerial: cert.serialNumber })}\n`,
          mode: SECRET_FILE_MODE,
          uid: service.owner.uid,
          gid: service.owner.gid,
        },
        { parent: this },
      );
      services[service.name] = pulumi.all([cert.dir, cert.certPath, cert.keyPath]).apply(([dir, certPath, keyPath]) => ({ dir, certPath, keyPath }));
    }

    this.outputs = {
      secretsRoot: config.secretsRoot,
      caCertPath: this.pki.caCertPath,
      services: pulumi.all(services),
    };
    this.registerOutputs(this.outputs);
  }
}
