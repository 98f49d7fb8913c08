// The config store's default configuration file (EII's layout): a JSON object whose keys are etcd paths
// "/<Service>/<name>" (or "/GlobalEnv/...") and whose values are JSON (stored as text: a string as is,
// anything else as its JSON). No Pulumi in here.
import { readFileSync } from "node:fs";
import { EdgeError } from "../shared/errors";

export const GLOBAL_ENV = "GlobalEnv";
export const PUBLIC_KEYS = "Publickeys";
export const PRIVATE_KEY_NAME = "private_key";

export class DefaultConfigError extends EdgeError {}

export interface DefaultConfig {
  /** Per group (a service name or GlobalEnv): full etcd key (with the prefix) -> value. */
  groups: Record<string, Record<string, string>>;
  /** Keys of services that are not clients of this stack's config store: left out, and worth a warning. */
  skipped: Record<string, string[]>;
}

/** Line and column (1-based) of a character offset. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const position = /at position (\d+)/.exec(message);
    const where = position ? lineAndColumn(text, Number(position[1])) : /Unexpected end of JSON input/.test(message) ? lineAndColumn(text, text.length) : undefined;
    const reason = message.replace(/ in JSON at position \d+.*$/, "").replace(/^Unexpected end of JSON input$/, "unexpected end of the file");
    throw new DefaultConfigError(`${file}: invalid JSON${where ? ` at ${where}` : ""}: ${reason}`);
  }
}

/**
 * Reads the file and sorts its keys by group, for the groups in `clients` (and GlobalEnv). `prefix` is put in
 * front of every key. Throws DefaultConfigError (one line naming the file) for a file that cannot be read,
 * is not JSON, or holds a key that is not "/<Group>/<name>" or that belongs to the keys the stack manages.
 */
export function loadDefaultConfig(file: string, prefix: string, clients: readonly string[]): DefaultConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new DefaultConfigError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const data = parseJson(file, text);
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new DefaultConfigError(`${file}: must hold a JSON object of "/<Service>/<key>": value`);

  const groups: Record<string, Record<string, string>> = {};
  const skipped: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(data)) {
    const match = /^\/([^/]+)\/(.*)$/.exec(key);
    if (!match) throw new DefaultConfigError(`${file}: key ${JSON.stringify(key)} is not of the form "/<Service>/<name>"`);
    const [, group, name] = match;
    if (group === PUBLIC_KEYS) throw new DefaultConfigError(`${file}: key ${JSON.stringify(key)}: /${PUBLIC_KEYS}/ holds the CURVE public keys the stack generates`);
    if (group !== GLOBAL_ENV && name === PRIVATE_KEY_NAME) throw new DefaultConfigError(`${file}: key ${JSON.stringify(key)}: ${PRIVATE_KEY_NAME} is the CURVE secret key the stack generates`);
    if (group === GLOBAL_ENV && name === "DEV_MODE") throw new DefaultConfigError(`${file}: key ${JSON.stringify(key)}: DEV_MODE is written from the stack's configStore.devMode`);
    if (group !== GLOBAL_ENV && !clients.includes(group)) {
      (skipped[group] ??= []).push(key);
      continue;
    }
    (groups[group] ??= {})[`${prefix}${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { groups, skipped };
}
