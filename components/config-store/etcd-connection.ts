// The providers' connection to the node's etcd: https with a client certificate (the server runs with
// --client-cert-auth) or root's password, and a bounded wait for a server that is still starting. No Pulumi here.
// Providers call these at run time, also from older provider code stored in a stack's state: change signatures
// only compatibly (new optional fields).
import { EdgeError } from "../shared/errors";
import { createHash } from "node:crypto";
import { ExponentialBackoff, handleWhen, IPolicy, noop, retry, timeout, TimeoutStrategy, wrap } from "cockatiel";
import { Etcd3, EtcdAuthenticationFailedError, isRecoverableError } from "etcd3";
import { ADMIN_CLIENT_CN } from "./etcd-names";
import { issueServiceCertificate } from "../pki/client";
import { PromiseCache } from "../shared/promise-cache";

export interface EtcdTarget {
  /** https://host:port, or http://host:port in DEV_MODE (no TLS, no auth). */
  endpoint: string;
  /** The CA that signed the server's certificate (https). */
  caCertPem?: string;
  /** That CA's key: signs the short-lived, in-memory client certificate the admin connection presents (https). */
  caKeyPem?: string;
  /** How long a call waits for a server that does not answer yet (default 60 s). */
  waitTimeoutSeconds?: number;
}

export interface EtcdLogin {
  username: string;
  password: string;
}

export { ADMIN_CLIENT_CN, ROOT_USER } from "./etcd-names";
const DEFAULT_WAIT_SECONDS = 60;

/** An etcd that did not answer, refused root's password, or failed a call: one sentence naming the endpoint. */
export class EtcdError extends EdgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EtcdError";
  }
}

// One admin client per (endpoint, CA) for the life of the provider process: one TLS session per run, however
// many resources use it.
const clients = new PromiseCache<Etcd3>();
const adminCertificates = new PromiseCache<{ certPem: string; keyPem: string }>();

function adminCertificate(caCertPem: string, caKeyPem: string): Promise<{ certPem: string; keyPem: string }> {
  const key = createHash("sha256").update(caCertPem).update(caKeyPem).digest("hex");
  return adminCertificates.get(key, () =>
    issueServiceCertificate({ caCertPem, caKeyPem, commonName: ADMIN_CLIENT_CN, dnsNames: [], ipAddresses: [], keyType: "ec-p256", lifetimeDays: 1, usage: "client" }),
  );
}

/**
 * etcd 3.4 checks a call's permission against the auth revision it saw when the call arrived; a user or role
 * change committed in between (other resources run in parallel) rejects the call unapplied with this error.
 * etcd's own Go client retries it; so does this one.
 */
const staleAuthRevision = (err: Error) => /revision of auth store is old/.test(err.message);

/** Retries while the server is unreachable (starting, restarting), never longer than the wait in total. */
function waitPolicy(seconds: number): IPolicy {
  const retrying = retry(handleWhen((err) => isRecoverableError(err) || staleAuthRevision(err)), { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2_000 }) });
  return wrap(timeout(seconds * 1000, TimeoutStrategy.Aggressive), retrying);
}

async function newClient(target: EtcdTarget, login?: EtcdLogin): Promise<Etcd3> {
  const url = new URL(target.endpoint);
  const seconds = target.waitTimeoutSeconds ?? DEFAULT_WAIT_SECONDS;
  let credentials;
  if (url.protocol === "https:") {
    if (!target.caCertPem || !target.caKeyPem) throw new EtcdError(`etcd at ${target.endpoint}: an https endpoint needs the CA certificate and key`);
    const admin = await adminCertificate(target.caCertPem, target.caKeyPem);
    credentials = { rootCertificate: Buffer.from(target.caCertPem), certChain: Buffer.from(admin.certPem), privateKey: Buffer.from(admin.keyPem) };
  }
  return new Etcd3({
    hosts: target.endpoint,
    credentials,
    auth: login,
    // The wait is the global policy (every call, authentication included); no per-host circuit breaker.
    faultHandling: { global: waitPolicy(seconds), host: () => noop },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + seconds * 1000 }),
  });
}

/** The target's admin client (its client certificate is the identity; no token), shared by every caller in this process. */
export function etcdClient(target: EtcdTarget): Promise<Etcd3> {
  const key = createHash("sha256")
    .update(JSON.stringify([target.endpoint, target.caCertPem ?? "", target.caKeyPem ?? "", target.waitTimeoutSeconds ?? DEFAULT_WAIT_SECONDS]))
    .digest("hex");
  return clients.get(key, () => newClient(target));
}

/** Closes every client of this process (tests; the provider process simply exits). */
export function closeEtcdClients(): void {
  for (const client of clients.values()) client.then((c) => c.close(), () => undefined);
  clients.clear();
}

/**
 * Runs `fn` with the admin client, or with a client logged in as `login` (a fresh one each time: etcd 3.4
 * tokens go stale after any user or role change), and turns failures into one sentence naming the endpoint.
 */
export async function withEtcd<T>(target: EtcdTarget, login: EtcdLogin | undefined, fn: (client: Etcd3) => Promise<T>): Promise<T> {
  let own: Etcd3 | undefined;
  try {
    const client = login ? (own = await newClient(target, login)) : await etcdClient(target);
    return await fn(client);
  } catch (err) {
    throw describeEtcdError(err, target, login);
  } finally {
    own?.close();
  }
}

export function describeEtcdError(err: unknown, target: EtcdTarget, login?: EtcdLogin): Error {
  if (err instanceof EtcdError) return err;
  const name = (err as Error)?.constructor?.name;
  const detail = err instanceof Error ? err.message : String(err);
  if (name === "TaskCancelledError" || (err instanceof Error && isRecoverableError(err))) {
    return new EtcdError(`etcd at ${target.endpoint} did not answer within ${target.waitTimeoutSeconds ?? DEFAULT_WAIT_SECONDS} s (${detail.split("\n")[0]})`, { cause: err });
  }
  if (err instanceof EtcdAuthenticationFailedError) return new EtcdError(`etcd at ${target.endpoint} refused the password of user ${JSON.stringify(login?.username)}`, { cause: err });
  return new EtcdError(`etcd at ${target.endpoint}: ${detail.split("\n")[0]}`, { cause: err });
}
