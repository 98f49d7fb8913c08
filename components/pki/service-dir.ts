// A service's certificate files in its own folder: write, inspect, remove. No Pulumi in here.
// Providers call these at run time by package name, and `refresh`/`destroy` run the provider code stored in a
// stack's state, which may be older than this file: change signatures only compatibly (new optional arguments).
import { createPublicKey } from "node:crypto";
import { dirname, join } from "node:path";
import { digestOf } from "../shared/dynamic-resource";
import { ensureDir, ensureServiceDir, FilesState, Owner, PUBLIC_FILE_MODE, readIfExists, removeDirIfEmpty, removeFile, SECRET_FILE_MODE, SERVICE_FILES, SHARED_DIR_MODE, sha256Hex, writeFileAtomically } from "../shared/files";

export interface ServiceDirPaths {
  dir: string;
  caCertPath: string;
  certPath: string;
  keyPath: string;
  readyPath: string;
}

export function serviceDirPaths(dir: string): ServiceDirPaths {
  return {
    dir,
    caCertPath: join(dir, SERVICE_FILES.caCert),
    certPath: join(dir, SERVICE_FILES.cert),
    keyPath: join(dir, SERVICE_FILES.key),
    readyPath: join(dir, SERVICE_FILES.ready),
  };
}

/** SHA-256 of the DER public key of a PEM private key: identifies the key without revealing it. */
export function publicKeyFingerprint(keyPem: string): string {
  return sha256Hex(createPublicKey(keyPem).export({ type: "spki", format: "der" }).toString("base64"));
}

export interface ServiceCertificateFiles {
  trustBundlePem: string;
  certPem: string;
  keyPem: string;
}

/**
 * Writes the trust bundle, certificate and key (0600) into a 0700 folder. A readiness file left from an
 * earlier issue is removed first: it is written again, last, by its own resource.
 */
export async function writeServiceCertificate(dir: string, files: ServiceCertificateFiles, owner: Owner): Promise<ServiceDirPaths> {
  const paths = serviceDirPaths(dir);
  ensureDir(dirname(dir), {}, SHARED_DIR_MODE);
  ensureServiceDir(dir, owner);
  removeFile(paths.readyPath);
  await writeFileAtomically(paths.keyPath, files.keyPem, SECRET_FILE_MODE, owner);
  await writeFileAtomically(paths.certPath, files.certPem, PUBLIC_FILE_MODE, owner);
  await writeFileAtomically(paths.caCertPath, files.trustBundlePem, PUBLIC_FILE_MODE, owner);
  return paths;
}

export type { FilesState } from "../shared/files";

/**
 * What a service folder should hold: the certificate, the key's fingerprint, and the trust bundle, or only its
 * digest (digestOf, as the certificate's outputs keep it since 0.3.0). Code recorded in older states passes
 * the bundle itself.
 */
export type ExpectedServiceFiles = { certPem: string; keyFingerprint: string } & ({ trustBundlePem: string } | { trustBundlePemSha256: string });

/** Whether the folder still holds exactly what was issued: the same certificate, trust bundle and key. */
export function inspectServiceCertificate(dir: string, expected: ExpectedServiceFiles): FilesState {
  const paths = serviceDirPaths(dir);
  const cert = readIfExists(paths.certPath);
  const bundle = readIfExists(paths.caCertPath);
  const key = readIfExists(paths.keyPath);
  if (cert === undefined || bundle === undefined || key === undefined) return "missing";
  const { trustBundlePem, trustBundlePemSha256 } = expected as { trustBundlePem?: string; trustBundlePemSha256?: string };
  const bundleAsExpected = trustBundlePem !== undefined ? bundle === trustBundlePem : digestOf(bundle) === trustBundlePemSha256;
  if (cert !== expected.certPem || !bundleAsExpected) return "changed";
  try {
    return publicKeyFingerprint(key) === expected.keyFingerprint ? "intact" : "changed";
  } catch {
    return "changed";
  }
}

/**
 * Removes the readiness file first, then the key, certificate and bundle, then the folder if empty; but only
 * when the folder still holds `certPem` (or no certificate at all): files of a newer issue are left alone.
 * Returns false when it left them. Without `certPem` (providers stored by versions before the check) it
 * removes the files unconditionally, as those versions did.
 */
export function removeServiceCertificate(dir: string, certPem?: string): boolean {
  const paths = serviceDirPaths(dir);
  const onDisk = readIfExists(paths.certPath);
  if (certPem !== undefined && onDisk !== undefined && onDisk !== certPem) return false;
  removeFile(paths.readyPath);
  removeFile(paths.keyPath);
  removeFile(paths.certPath);
  removeFile(paths.caCertPath);
  removeDirIfEmpty(dir);
  return true;
}
