// A service's etcd client certificate in its own folder: write, inspect, remove. No Pulumi in here; change
// signatures only compatibly (older provider code in a stack's state calls them).
import { dirname, join } from "node:path";
import { ensureDir, ensureServiceDir, FilesState, Owner, PUBLIC_FILE_MODE, readIfExists, removeDirIfEmpty, removeFile, SECRET_FILE_MODE, SHARED_DIR_MODE, writeFileAtomically } from "../shared/files";
import { publicKeyFingerprint } from "../pki/service-dir";

/** File names next to the service's own certificate (its ca.pem also verifies the etcd server). */
export const ETCD_CLIENT_FILES = { cert: "etcd-client-cert.pem", key: "etcd-client-key.pem" } as const;

export interface EtcdClientCertPaths {
  certPath: string;
  keyPath: string;
}

/** Other file names for the two (a layout's, such as EII's `<App>_client_certificate.pem`). */
export interface EtcdClientFileNames {
  cert?: string;
  key?: string;
}

export function etcdClientCertPaths(dir: string, names: EtcdClientFileNames = {}): EtcdClientCertPaths {
  return { certPath: join(dir, names.cert ?? ETCD_CLIENT_FILES.cert), keyPath: join(dir, names.key ?? ETCD_CLIENT_FILES.key) };
}

/** Writes the certificate (0644) and its key (0600) atomically into the service's 0700 folder. */
export async function writeEtcdClientCertificate(dir: string, files: { certPem: string; keyPem: string }, owner: Owner, names: EtcdClientFileNames = {}): Promise<EtcdClientCertPaths> {
  const paths = etcdClientCertPaths(dir, names);
  ensureDir(dirname(dir), {}, SHARED_DIR_MODE);
  ensureServiceDir(dir, owner);
  await writeFileAtomically(paths.keyPath, files.keyPem, SECRET_FILE_MODE, owner);
  await writeFileAtomically(paths.certPath, files.certPem, PUBLIC_FILE_MODE, owner);
  return paths;
}

/** Whether the folder still holds exactly the issued certificate and its key. */
export function inspectEtcdClientCertificate(dir: string, expected: { certPem: string; keyFingerprint: string }, names: EtcdClientFileNames = {}): FilesState {
  const paths = etcdClientCertPaths(dir, names);
  const cert = readIfExists(paths.certPath);
  const key = readIfExists(paths.keyPath);
  if (cert === undefined || key === undefined) return "missing";
  if (cert !== expected.certPem) return "changed";
  try {
    return publicKeyFingerprint(key) === expected.keyFingerprint ? "intact" : "changed";
  } catch {
    return "changed";
  }
}

/** Removes the two files when they are still this (a newer issue's files are left alone). */
export function removeEtcdClientCertificate(dir: string, certPem?: string, names: EtcdClientFileNames = {}): boolean {
  const paths = etcdClientCertPaths(dir, names);
  const onDisk = readIfExists(paths.certPath);
  if (certPem !== undefined && onDisk !== undefined && onDisk !== certPem) return false;
  removeFile(paths.keyPath);
  removeFile(paths.certPath);
  removeDirIfEmpty(dir);
  return true;
}
