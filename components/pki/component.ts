// The node's PKI: one CA, its certificate published at the secrets root, and one certificate per service
// written to the service's own folder.
import { join } from "node:path";
import * as pulumi from "../shared/pulumi";
import type { ImportedCa } from "./ca-import";
import { SHARED_DIR_MODE } from "../shared/files";
import type { NodeConfig, ServiceConfig } from "../node-config";
import { CertificateAuthority } from "./certificate-authority";
import { PlainFile } from "../shared/plain-file";
import { bundleOfCaAlone, ServiceCertificate } from "./service-certificate";
import { generationInput } from "../lifecycle/config";
import { NodeCa } from "../fleet/node-ca";
import type { NodeCaRequests, OrgSignatures } from "../fleet/node-link";

export const CA_CERT_FILE_NAME = "ca.pem";

export interface PkiArgs {
  readonly secretsRoot: string;
  readonly ca: NodeConfig["ca"];
  /** Set when ca.source is "import": already validated by the program. */
  readonly importedCa?: ImportedCa;
  readonly services: readonly ServiceConfig[];
  /** Set when ca.source is "org": the node's CA requests and what the org signed (the issuing generation included). */
  readonly org?: { requests: NodeCaRequests; signatures: OrgSignatures };
}

/** The CA the services' certificates come from, and the bundle they trust. */
export interface PkiCa {
  readonly certPem: pulumi.Output<string>;
  readonly keyPem: pulumi.Output<string>;
  readonly trustBundlePem: pulumi.Output<string>;
}

export class Pki extends pulumi.ComponentResource {
  readonly ca: PkiCa;
  /** Org-signed node CAs by generation (ca.source "org"): the issuing one and those overlapping it. */
  readonly nodeCas: Record<number, NodeCa> = {};
  readonly caCertPath: pulumi.Output<string>;
  readonly certificates: Record<string, ServiceCertificate> = {};

  constructor(name: string, args: PkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:pki:Pki", name, {}, opts);
    const imported = args.importedCa;
    this.ca = args.org ? this.orgCa(name, args.org) : new CertificateAuthority(
      `${name}-ca`,
      {
        // Only "self-signed" or "import" reach here: an "org" CA is built by orgCa (the program passes args.org).
        source: args.ca.source as "self-signed" | "import",
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
          // Unset when it is the CA certificate alone: the state would hold the same PEM twice per service.
          trustBundlePem: pulumi.all([this.ca.certPem, this.ca.trustBundlePem]).apply(([cert, bundle]) => (typeof cert === "string" && bundle === bundleOfCaAlone(cert) ? undefined : bundle)),
          rotation: generationInput(service.rotation?.certificate),
          renewBeforeDays: service.renewBeforeDays,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ caCertPath: this.caCertPath });
  }

  /**
   * One NodeCa per signed trusted generation; the issuing one signs the services. The trust bundle carries every
   * one of them and the org's roots, so during a rotation certificates of either generation (and either root) verify.
   */
  private orgCa(name: string, org: NonNullable<PkiArgs["org"]>): PkiCa {
    const { signatures, requests } = org;
    const gens = signatures.generations.filter((g) => signatures.signed[g] !== undefined);
    for (const gen of gens) {
      this.nodeCas[gen] = new NodeCa(
        `${name}-ca-g${gen}`,
        { node: signatures.node, generation: gen, certPem: signatures.signed[gen], keyPem: requests.requests[gen].keyPem, rootsPem: signatures.rootsPem ?? "" },
        { parent: this },
      );
    }
    const issuing = this.nodeCas[signatures.generations[0]];
    const trustBundlePem = pulumi
      .all(gens.map((g) => this.nodeCas[g].certPem))
      .apply((pems) => [...pems, signatures.rootsPem ?? ""].map((p) => (p ?? "").trim()).filter(Boolean).join("\n") + "\n");
    return { certPem: issuing.certPem, keyPem: issuing.keyPem, trustBundlePem };
  }
}
