// One error type for every condition a user can act on (bad input, a server's refusal, an unreachable server),
// whatever client raises it. No Pulumi in here.
//
// The dynamic-provider host prints a failed check/diff/read/delete as `${err}: ${err.stack}`: a stack trace
// there would bury the one line that matters. An EdgeError carries no stack, so the host prints one line.
// Provider code stored in existing states `require`s the clients' own error classes (SecretStoreError,
// EtcdError, ...): they stay exported, as subclasses of this one.
export class EdgeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EdgeError";
    this.stack = "";
  }
}

/** Whether `err` is a reported condition (any client's error class), not a bug. */
export function isEdgeError(err: unknown): err is EdgeError {
  return err instanceof EdgeError;
}
