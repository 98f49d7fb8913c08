// One error type for every condition a user can act on (bad input, a server's refusal, an unreachable server),
// whatever client raises it, and every config mistake the program reports. No Pulumi in here.
//
// The dynamic-provider host prints a failed check/diff/read/delete as `${err}: ${err.stack}`: a stack trace
// there would bury the one line that matters. An EdgeError carries no stack, so the host prints one line.
// Provider code stored in existing states `require`s the clients' own error classes (SecretStoreError,
// EtcdError, ...): they stay exported, as subclasses of this one.
import type { ZodError } from "zod";

export class EdgeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EdgeError";
    this.stack = "";
  }
}

/**
 * A user mistake in the stack config or a file it names: one sentence that starts with the key (or the file)
 * and says what is wrong. The program turns it into a RunError, which Pulumi prints without a stack.
 */
export class ConfigError extends EdgeError {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * The one reading of a failed zod parse: the first issue as the path of the key at fault and what is wrong with
 * it ("is required" for a missing key, `unknownKey` for a key the schema does not have, zod's message otherwise).
 * The caller renders the path its way (a stack config key, a field of a file's table) into one line.
 */
export function zodProblem(error: ZodError, unknownKey = "is not a known setting"): [path: (string | number)[], message: string] {
  const issue = error.issues[0];
  if (issue.code === "unrecognized_keys") return [[...issue.path, issue.keys[0]], unknownKey];
  return [issue.path, issue.code === "invalid_type" && issue.received === "undefined" ? "is required" : issue.message];
}

/** Whether `err` is a reported condition (any client's error class), not a bug. */
export function isEdgeError(err: unknown): err is EdgeError {
  return err instanceof EdgeError;
}
