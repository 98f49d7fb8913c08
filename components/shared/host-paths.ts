// Folders the stack owns must be its own: it sets their mode and owner, and writes beside its files. A system
// folder (or the root) given by mistake would be chmod'ed and chown'ed; refuse it before anything changes.
import { posix } from "node:path";

/** Folders of the host that are never the stack's own, nor may hold files of its own directly. */
export const SYSTEM_FOLDERS = [
  "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt", "/opt", "/proc",
  "/root", "/run", "/run/lock", "/run/user", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local",
  "/usr/local/bin", "/usr/sbin", "/usr/share", "/var", "/var/cache", "/var/lib", "/var/local", "/var/lock", "/var/log",
  "/var/mail", "/var/opt", "/var/run", "/var/spool", "/var/tmp",
];
/** Trees no stack folder may live in at all (kernel and device file systems, the boot loader). */
const SYSTEM_TREES = ["/proc", "/sys", "/dev", "/boot"];

/** Why `path` cannot be a folder of the stack's own, or undefined when it can. */
export function dedicatedFolderProblem(path: string): string | undefined {
  const normalized = posix.normalize(path).replace(/(.)\/+$/, "$1");
  if (SYSTEM_FOLDERS.includes(normalized)) {
    return `${JSON.stringify(path)} is a system folder: give a folder of the stack's own (its mode and owner are set by the stack), e.g. ${normalized === "/" ? "" : normalized}/edge-security`;
  }
  const tree = SYSTEM_TREES.find((t) => normalized.startsWith(`${t}/`));
  if (tree) return `${JSON.stringify(path)} is inside ${tree}, a system tree: give a folder of the stack's own`;
  return undefined;
}
