// A service's secrets folder on disk: atomic writes, owner and permissions. No Pulumi in here.
// Providers call these at run time, also from older provider code stored in a stack's state: change
// signatures only compatibly (new optional arguments).
import { createHash } from "node:crypto";
import { chmodSync, chownSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { EdgeError } from "./errors";

/** A folder or file the stack cannot write (permissions, a full or read-only disk): one line naming the path. */
export class FilesError extends EdgeError {
  constructor(message: string) {
    super(message);
    this.name = "FilesError";
  }
}

/** A system call's failure as one line naming the path; anything else (a bug) is rethrown as is. */
function asFilesError(err: unknown, what: string, path: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof EdgeError || typeof e?.code !== "string") return err;
  return new FilesError(`cannot ${what} ${path}: ${e.code}${e.syscall ? ` (${e.syscall})` : ""}`);
}

export interface Owner {
  uid?: number;
  gid?: number;
}

/** File names inside a service's folder: the contract with the processes that read it. */
export const SERVICE_FILES = {
  caCert: "ca.pem",
  cert: "cert.pem",
  key: "key.pem",
  ready: "ready",
} as const;

export const DIR_MODE = 0o700;
/** The secrets root: traversable by every service's uid, each of which then owns only its own 0700 folder. */
export const SHARED_DIR_MODE = 0o755;
export const SECRET_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

function chownIfSet(path: string, owner: Owner): void {
  if (owner.uid === undefined && owner.gid === undefined) return;
  chownSync(path, owner.uid ?? -1, owner.gid ?? -1);
}

/** Creates the folder (and its parents) and sets it to 0700 and the owner, whatever the umask. */
export function ensureDir(dir: string, owner: Owner = {}, mode: number = DIR_MODE): void {
  try {
    mkdirSync(dir, { recursive: true, mode });
    chmodSync(dir, mode);
    chownIfSet(dir, owner);
  } catch (err) {
    throw asFilesError(err, "set up the folder", dir);
  }
}

/**
 * A service's own folder under the secrets root: as ensureDir, but a symbolic link is refused (its target may be
 * any folder of the host, and only the stack's own folders get a service's mode and owner). The secrets root and
 * the custody folder are the operator's choice and may be links (e.g. to a persistent disk).
 */
export function ensureServiceDir(dir: string, owner: Owner = {}): void {
  let link = false;
  try {
    link = lstatSync(dir).isSymbolicLink();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw asFilesError(err, "inspect", dir);
  }
  if (link) throw new FilesError(`${dir} is a symbolic link: a service's folder must be a real folder under the secrets root (remove the link; the next run makes the folder)`);
  ensureDir(dir, owner);
}

/**
 * Writes through a temporary file in the same folder, fsyncs and renames, so a reader never sees half a file; then
 * fsyncs the folder, without which the rename itself may not survive a power loss (write-file-atomic does not).
 */
export async function writeFileAtomically(path: string, content: string, mode: number, owner: Owner = {}, dirMode: number = DIR_MODE): Promise<void> {
  ensureDir(dirname(path), owner, dirMode);
  try {
    await writeFileAtomic(path, content, { mode, fsync: true, chown: owner.uid !== undefined || owner.gid !== undefined ? { uid: owner.uid ?? process.getuid!(), gid: owner.gid ?? process.getgid!() } : undefined });
    chmodSync(path, mode);
    const dir = openSync(dirname(path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (err) {
    throw asFilesError(err, "write", path);
  }
}

/** The file's content, or undefined when it does not exist. */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw err;
  }
}

export type FilesState = "intact" | "missing" | "changed";

/** Whether the file still holds exactly `expected`. */
export function fileState(path: string, expected: string): FilesState {
  const now = readIfExists(path);
  return now === undefined ? "missing" : now === expected ? "intact" : "changed";
}

export function sha256Hex(content: string): string {
  return createHash("sha256").update(content).digest("hex");
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

/** Removes the folder when nothing else is left in it (other resources may own files there). */
export function removeDirIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
  }
}
