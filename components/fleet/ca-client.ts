// X.509 work of the organisation CA and the node CAs under it, on the same library and key handling as the node's
// own PKI (components/pki/client.ts): a node makes its CA key and a certificate request (PKCS#10), the org root
// signs it as an intermediate with name constraints, the node checks what comes back. No Pulumi in here.
// Providers require this file as `@edge-security/clients/fleet-ca`: change signatures only compatibly.
import "reflect-metadata"; // required by @peculiar/x509 (tsyringe), before it loads
import { BlockList, isIP } from "node:net";
import { createHash, createPublicKey, X509Certificate as NodeCert } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints as AsnNameConstraints, id_ce_nameConstraints } from "@peculiar/asn1-x509";
import { algorithms, certificateFacts, CertificateFacts, generateKeys, importSigningKey, keyMatchesCertificate, KeyType, privateKeyPem, randomSerial, validity } from "../pki/client";

/** Names a node CA may issue for: DNS subtrees (`node-a.example` covers it and every name below) and IP ranges (CIDR). */
export interface NameConstraints {
  dns: string[];
  ips: string[];
}

export interface CaRequest {
  keyPem: string;
  csrPem: string;
  /** SHA-256 of the DER public key: names the key without revealing it, and ties a signed certificate to it. */
  publicKeyFingerprint: string;
}

export function publicKeyFingerprintOf(pem: string): string {
  return createHash("sha256").update(createPublicKey(pem).export({ type: "spki", format: "der" })).digest("hex");
}

/** A fresh CA key and the certificate request (PKCS#10, self-signed by that key) the org root is asked to sign. */
export async function createCaRequest(args: { commonName: string; keyType: KeyType }): Promise<CaRequest> {
  const keys = await generateKeys(args.keyType);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [args.commonName] }],
    keys: keys as never,
    signingAlgorithm: algorithms(args.keyType).signing,
  });
  const csrPem = csr.toString("pem");
  return { keyPem: await privateKeyPem(keys.privateKey), csrPem, publicKeyFingerprint: publicKeyFingerprintOf(csrPublicKeyPem(csrPem)) };
}

function csrPublicKeyPem(csrPem: string): string {
  return new x509.Pkcs10CertificateRequest(csrPem).publicKey.toString("pem");
}

/** What a certificate request holds, once its own signature is checked; throws one line when it is not a request. */
export async function readCaRequest(csrPem: string): Promise<{ commonName: string; publicKeyFingerprint: string }> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new Error("is not a PEM certificate request (PKCS#10)");
  }
  if (!(await csr.verify())) throw new Error("the certificate request's signature does not verify (damaged or altered)");
  return { commonName: csr.subjectName.getField("CN")[0] ?? "", publicKeyFingerprint: publicKeyFingerprintOf(csr.publicKey.toString("pem")) };
}

function nameConstraintsExtension(nc: NameConstraints): x509.Extension {
  const subtrees = [...nc.dns.map((d) => new GeneralName({ dNSName: d })), ...nc.ips.map((ip) => new GeneralName({ iPAddress: ip.includes("/") ? ip : `${ip}/${isIP(ip) === 6 ? 128 : 32}` }))].map(
    (base) => new GeneralSubtree({ base }),
  );
  const value = AsnConvert.serialize(new AsnNameConstraints({ permittedSubtrees: new GeneralSubtrees(subtrees) }));
  // Critical, as RFC 5280 requires: a verifier that cannot apply the constraints must refuse the chain.
  return new x509.Extension(id_ce_nameConstraints, true, value);
}

export interface SignNodeCaArgs {
  csrPem: string;
  issuerCertPem: string;
  issuerKeyPem: string;
  lifetimeDays: number;
  /** Absent or empty: no constraints (the node CA may issue for any name). */
  nameConstraints?: NameConstraints;
}

/**
 * Signs a node's CA request as an intermediate (CA:TRUE, pathlen 0: it issues service certificates only). The
 * subject and key come from the request (its signature checked); everything else is the org's: validity capped at
 * the issuer's, the name constraints the org configured for that node (whatever the request asked for).
 */
export async function signNodeCa(args: SignNodeCaArgs): Promise<{ certPem: string } & CertificateFacts> {
  await readCaRequest(args.csrPem);
  const csr = new x509.Pkcs10CertificateRequest(args.csrPem);
  const issuer = new x509.X509Certificate(args.issuerCertPem);
  const signer = await importSigningKey(args.issuerKeyPem);
  const publicKey = await csr.publicKey.export();
  const { notBefore, notAfter } = validity(args.lifetimeDays);
  const nc = args.nameConstraints;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: csr.subjectName,
    issuer: issuer.subjectName,
    notBefore,
    notAfter: notAfter > issuer.notAfter ? issuer.notAfter : notAfter,
    publicKey: publicKey as never,
    signingKey: signer.key as never,
    signingAlgorithm: algorithms(signer.keyType).signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(publicKey as never),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
      ...(nc && nc.dns.length + nc.ips.length > 0 ? [nameConstraintsExtension(nc)] : []),
    ],
  });
  const certPem = cert.toString("pem");
  return { certPem, ...certificateFacts(certPem) };
}

/** The PEM certificates in a text, in order. */
export function splitCertificates(pem: string): string[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => `${block}\n`);
}

/** The permitted names of a CA certificate's name constraints, or undefined when it has none. */
export function nameConstraintsOf(certPem: string): NameConstraints | undefined {
  const ext = new x509.X509Certificate(certPem).getExtension(id_ce_nameConstraints);
  if (!ext) return undefined;
  const parsed = AsnConvert.parse(ext.value, AsnNameConstraints);
  const bases = Array.from(parsed.permittedSubtrees ?? [], (s) => s.base);
  return { dns: bases.flatMap((b) => (b.dNSName ? [b.dNSName] : [])), ips: bases.flatMap((b) => (b.iPAddress ? [b.iPAddress] : [])) };
}

/** RFC 5280's DNS rule: `example.com` permits itself and every name below it; `.example.com` only names below. */
function dnsPermitted(name: string, subtree: string): boolean {
  const n = name.toLowerCase();
  const s = subtree.toLowerCase();
  if (s.startsWith(".")) return n.endsWith(s);
  return n === s || n.endsWith(`.${s}`);
}

/** The names among `dnsNames` and `ipAddresses` a CA with these constraints may not issue for (empty: all allowed). */
export function namesOutside(nc: NameConstraints | undefined, dnsNames: string[], ipAddresses: string[]): string[] {
  if (!nc) return [];
  const ranges = new BlockList();
  for (const range of nc.ips) {
    const [address, prefix] = range.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    ranges.addSubnet(address, Number(prefix ?? (family === "ipv6" ? 128 : 32)), family);
  }
  return [
    ...dnsNames.filter((d) => !nc.dns.some((s) => dnsPermitted(d, s))),
    ...ipAddresses.filter((ip) => !ranges.check(ip, isIP(ip) === 6 ? "ipv6" : "ipv4")),
  ];
}

/**
 * Checks a signed node CA before the node uses it: a CA certificate, for this node's key, signed by one of the
 * org's roots. Returns one sentence when it is not, else undefined.
 */
export function signedNodeCaProblem(certPem: string, keyPem: string | undefined, rootsPem: string, now: Date = new Date()): string | undefined {
  let cert: NodeCert;
  try {
    cert = new NodeCert(certPem);
  } catch {
    return "is not a PEM X.509 certificate";
  }
  if (!cert.ca) return "is not a CA certificate (basicConstraints CA:true is missing)";
  if (new Date(cert.validTo) <= now) return `expired on ${new Date(cert.validTo).toISOString()}`;
  let matches = true;
  try {
    matches = keyPem === undefined || keyMatchesCertificate(keyPem, certPem);
  } catch {
    return "cannot be checked against this node's CA key (the key does not parse)";
  }
  if (!matches) return "was signed for another key than this node's CA key (an older request?): sign the current request again";
  const roots = splitCertificates(rootsPem).map((pem) => new NodeCert(pem));
  if (roots.length === 0) return "comes without the org's root certificate";
  if (!roots.some((root) => cert.checkIssued(root) && cert.verify(root.publicKey))) return "is not signed by any of the org's root certificates";
  return undefined;
}
