// Loads and validates a CA imported from a directory: ca.crt, ca.key and optionally chain.crt.
import { EdgeError } from "../shared/errors";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { keyMatchesCertificate, signingKeyTypeOf } from "./client";

export const CA_CERT_FILE = "ca.crt";
export const CA_KEY_FILE = "ca.key";
export const CA_CHAIN_FILE = "chain.crt";

/** A user mistake in the imported CA: the message is one sentence that names the file. */
export class CaImportError extends EdgeError {
  constructor(message: string) {
    super(message);
    this.name = "CaImportError";
  }
}

export interface ImportedCa {
  certPem: string;
  keyPem: string;
  /** PEM of the issuers above the CA up to the root, empty when the CA is itself a root. */
  chainPem: string;
}

function readPemFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new CaImportError(`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function parseCertificate(path: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new CaImportError(`${path}: is not a PEM X.509 certificate`);
  }
}

function splitPemCertificates(path: string, pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new CaImportError(`${path}: holds no PEM certificate`);
  return blocks.map((block) => parseCertificate(path, block));
}

/** A certificate's subject on one line (Node prints one attribute per line). */
function oneLine(subject: string): string {
  return subject.split("\n").filter(Boolean).join(", ");
}

function checkCurrent(path: string, cert: X509Certificate, now: Date): void {
  if (new Date(cert.validTo) <= now) throw new CaImportError(`${path}: certificate expired on ${new Date(cert.validTo).toISOString()}`);
  if (new Date(cert.validFrom) > now) throw new CaImportError(`${path}: certificate is not valid before ${new Date(cert.validFrom).toISOString()}`);
}

/** Reads and validates the CA in `dir`; throws CaImportError naming the file on the first problem. */
export function loadImportedCa(dir: string, now: Date = new Date()): ImportedCa {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CaImportError(`${dir}: CA import directory does not exist`);
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  const chainPath = join(dir, CA_CHAIN_FILE);

  const certPem = readPemFile(certPath);
  const cert = parseCertificate(certPath, certPem);
  if (!cert.ca) throw new CaImportError(`${certPath}: certificate is not a CA (basicConstraints CA:true is missing)`);
  checkCurrent(certPath, cert, now);

  const keyPem = readPemFile(keyPath);
  let matches: boolean;
  try {
    matches = keyMatchesCertificate(keyPem, certPem);
  } catch {
    throw new CaImportError(`${keyPath}: is not a PEM private key (PKCS#8, SEC1 EC or PKCS#1 RSA, unencrypted)`);
  }
  if (!matches) throw new CaImportError(`${keyPath}: private key does not match the certificate in ${certPath}`);
  try {
    signingKeyTypeOf(keyPem);
  } catch (err) {
    throw new CaImportError(`${keyPath}: ${(err as Error).message}`);
  }

  const chainPem = existsSync(chainPath) ? readPemFile(chainPath) : "";
  const chain = chainPem ? splitPemCertificates(chainPath, chainPem) : [];
  let child = cert;
  let childPath = certPath;
  for (const issuer of chain) {
    checkCurrent(chainPath, issuer, now);
    if (!issuer.ca) throw new CaImportError(`${chainPath}: ${oneLine(issuer.subject)} is not a CA`);
    if (!child.checkIssued(issuer) || !child.verify(issuer.publicKey)) {
      throw new CaImportError(`${childPath}: certificate ${oneLine(child.subject)} is not signed by the next certificate in ${chainPath}`);
    }
    child = issuer;
    childPath = chainPath;
  }
  // The top of the chain must be a self-signed root whose own signature verifies.
  if (!child.checkIssued(child) || !child.verify(child.publicKey)) {
    throw new CaImportError(
      chain.length === 0
        ? `${certPath}: certificate is not self-signed; put its issuers up to the root in ${chainPath}`
        : `${chainPath}: chain does not end at a self-signed root`,
    );
  }
  return { certPem, keyPem, chainPem };
}
