// Names of database roles, databases and users: what is accepted, and the default user name of a service.
// No Pulumi in here. The config validation and the providers' `check` use the same rules.

/** PostgreSQL truncates identifiers to NAMEDATALEN - 1 = 63 bytes; a longer name would silently become another. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Why `name` cannot be a role, database or user name, or undefined when it can. */
export function identifierProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length === 0) return "must be a non-empty string";
  if (/["'\0]/.test(name)) return `${JSON.stringify(name)} contains a quote or NUL character`;
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > MAX_IDENTIFIER_BYTES) return `${JSON.stringify(name)} is ${bytes} bytes long; at most ${MAX_IDENTIFIER_BYTES} bytes are allowed (PostgreSQL NAMEDATALEN)`;
  return undefined;
}

/** MongoDB database names also exclude these characters (on every platform MongoDB supports). */
const MONGO_DB_FORBIDDEN = /[/\\. "$*<>:|?]/;

export function mongoDatabaseProblem(name: unknown): string | undefined {
  const problem = identifierProblem(name);
  if (problem) return problem;
  if (MONGO_DB_FORBIDDEN.test(name as string)) return `${JSON.stringify(name)} is not a valid MongoDB database name (no /\\. "$*<>:|? characters)`;
  return undefined;
}

/** The default role, user and database name of a service: lower-cased, anything outside [a-z0-9_] turned into `_`. */
export function defaultDbName(service: string): string {
  return service.toLowerCase().replace(/[^a-z0-9_]/g, "_");
}
