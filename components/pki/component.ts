// The node's PKI: one CA, its certificate published at the secrets root, and one certificate per service
// written to the service's own folder.
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ImportedCa } from "./ca-import";
import { SHARED_DIR_MODE } from "../shared/files";
import type { NodeConfig, ServiceConfig } from "../node-config";
import { CertificateAuthority } from "./certificate-authority";
import { PlainFile } from "../shared/plain-file";
import { ServiceCertificate } from "./service-certificate";
import { generationInput } from "../lifecycle/config";

export const CA_CERT_FILE_NAME = "ca.pem";

export interface PkiArgs {
  readonly secretsRoot: string;
  readonly ca: NodeConfig["ca"];
  /** Set when ca.source is "import": already validated by the program. */
  readonly importedCa?: ImportedCa;
  readonly services: readonly ServiceConfig[];
}

export class Pki extends pulumi.ComponentResource {
  readonly ca: CertificateAuthority;
  readonly caCertPath: pulumi.Output<string>;
  readonly certificates: Record<string, ServiceCertificate> = {};

  constructor(name: string, args: PkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:pki:Pki", name, {}, opts);
    const imported = args.importedCa;
    this.ca = new CertificateAuthority(
      `${name}-ca`,
      {
        source: args.ca.source,
        commonName: args.ca.commonName,
        keyType: args.ca.keyType,
        lifetimeDays: args.ca.lifetimeDays,
        importedCertPem: imported?.certPem,
        importedKeyPem: imported ? pulumi.secret(imported.keyPem) : undefined,
        importedChainPem: imported?.chainPem,
      },
      { parent: this },
    );
    const caFile = new PlainFile(`${name}-ca-cert`, { path: join(args.secretsRoot, CA_CERT_FILE_NAME), content: this.ca.trustBundlePem, dirMode: SHARED_DIR_MODE }, { parent: this });
    this.caCertPath = caFile.path;

    for (const service of args.services) {
      this.certificates[service.name] = new ServiceCertificate(
        `${service.name}-cert`,
        {
          service: service.name,
          dir: join(args.secretsRoot, service.name),
          dnsNames: service.dnsNames,
          ipAddresses: service.ipAddresses,
          keyType: service.keyType,
          lifetimeDays: service.lifetimeDays,
          uid: service.owner.uid,
          gid: service.owner.gid,
          caCertPem: this.ca.certPem,
          caKeyPem: this.ca.keyPem,
          trustBundlePem: this.ca.trustBundlePem,
          rotation: generationInput(service.rotation?.certificate),
          renewBeforeDays: service.renewBeforeDays,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ caCertPath: this.caCertPath });
  }
}
