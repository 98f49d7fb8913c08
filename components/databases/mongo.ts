// A service's MongoDB user: create or update, inspect, drop, over the official driver. No Pulumi in here.
// Providers call these at run time, also from older provider code stored in a stack's state: change signatures
// only compatibly (new optional arguments).
//
// FerretDB v1 (the MongoDB-wire server run here) accepts createUser/updateUser only with an empty `roles` list and
// does not enforce roles at all. The server is identified by `buildInfo` (FerretDB answers with `ferretdbVersion`):
// real MongoDB gets the configured roles, FerretDB gets none, and the result says which roles were sent.
import { EdgeError } from "../shared/errors";
import { MongoClient, MongoNetworkError, MongoServerError, MongoServerSelectionError } from "mongodb";
import { sha256Hex } from "../shared/files";

export interface MongoServer {
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
  /** The database the admin user authenticates against. */
  adminDatabase: string;
  /** Bound on waiting for the server: the driver's own server selection retries until then. */
  connectTimeoutMs: number;
}

export interface MongoRole {
  role: string;
  db: string;
}

export interface MongoUserSpec {
  username: string;
  password: string;
  /** Where the user is defined (its authentication database); the default roles apply to it. */
  database: string;
  roles: MongoRole[];
}

export type ServerKind = "mongodb" | "ferretdb";
export type MongoUserState = "intact" | "missing" | "password-changed" | "roles-changed";

/** A failure worth one line to the user (unreachable server, refused credentials). */
export class MongoUserError extends EdgeError {
  constructor(message: string) {
    super(message);
    this.name = "MongoUserError";
  }
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

function newClient(server: Pick<MongoServer, "host" | "port" | "connectTimeoutMs">, auth: { username: string; password: string; source: string }): MongoClient {
  return new MongoClient(`mongodb://${server.host.includes(":") ? `[${server.host}]` : server.host}:${server.port}/`, {
    auth: { username: auth.username, password: auth.password },
    authSource: auth.source,
    authMechanism: "SCRAM-SHA-256",
    directConnection: true,
    serverSelectionTimeoutMS: server.connectTimeoutMs,
    connectTimeoutMS: server.connectTimeoutMs,
    retryWrites: false,
  });
}

const isAuthFailure = (err: unknown) => err instanceof MongoServerError && (err.code === 18 || err.codeName === "AuthenticationFailed");

// One admin client (the driver's connection pool) per server and login for the life of the work: a preview
// inspects every service's user, and each inspection used to log in as the admin anew (a connection and a SCRAM
// handshake). The client is closed once nobody has used it for a second, so a process that is done can exit.
interface SharedAdmin {
  client: Promise<MongoClient>;
  users: number;
  idle?: NodeJS.Timeout;
}
const admins = new Map<string, SharedAdmin>();
const IDLE_CLOSE_MS = 1_000;

async function connectAdmin(server: MongoServer): Promise<MongoClient> {
  const client = newClient(server, { username: server.adminUser, password: server.adminPassword, source: server.adminDatabase });
  try {
    return await client.connect();
  } catch (err) {
    await client.close().catch(() => undefined);
    const why = isAuthFailure(err) ? "authentication failed (check the admin user and password)" : oneLine(err);
    throw new MongoUserError(`cannot connect to MongoDB at ${server.host}:${server.port} as ${JSON.stringify(server.adminUser)}: ${why}`);
  }
}

/** Runs `fn` as the admin (a client shared in this process). Connection and login failures become one line. */
export async function withAdmin<T>(server: MongoServer, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const key = sha256Hex(JSON.stringify([server.host, server.port, server.adminUser, server.adminPassword, server.adminDatabase, server.connectTimeoutMs]));
  let shared = admins.get(key);
  if (!shared) {
    const fresh: SharedAdmin = { client: connectAdmin(server), users: 0 };
    // A failed connection is not kept: the next caller tries again.
    fresh.client.catch(() => admins.get(key) === fresh && admins.delete(key));
    admins.set(key, (shared = fresh));
  }
  clearTimeout(shared.idle);
  shared.users++;
  try {
    const client = await shared.client;
    return await fn(client);
  } catch (err) {
    // The server refused a command: its own one-line message. Unreachable since the login: one line too.
    if (err instanceof MongoServerError) throw new MongoUserError(`MongoDB at ${server.host}:${server.port}: ${oneLine(err)}`);
    if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) throw new MongoUserError(`cannot connect to MongoDB at ${server.host}:${server.port} as ${JSON.stringify(server.adminUser)}: ${oneLine(err)}`);
    throw err;
  } finally {
    const done = shared;
    if (--done.users === 0) {
      done.idle = setTimeout(() => {
        if (admins.get(key) === done) admins.delete(key);
        done.client.then((c) => c.close(), () => undefined).catch(() => undefined);
      }, IDLE_CLOSE_MS);
    }
  }
}

/** "ferretdb" when the server's buildInfo carries FerretDB's own fields, else "mongodb". */
export async function serverKind(client: MongoClient): Promise<{ kind: ServerKind; version: string }> {
  const info = await client.db("admin").command({ buildInfo: 1 });
  if (typeof info.ferretdbVersion === "string") return { kind: "ferretdb", version: info.ferretdbVersion };
  return { kind: "mongodb", version: String(info.version) };
}

/** The roles to send: the configured ones to MongoDB; none to FerretDB v1, which refuses any. */
export function rolesFor(kind: ServerKind, roles: MongoRole[]): MongoRole[] {
  return kind === "ferretdb" ? [] : roles;
}

interface UserInfo {
  user: string;
  db: string;
  roles: MongoRole[];
}

async function userInfo(client: MongoClient, username: string, database: string): Promise<UserInfo | undefined> {
  const res = await client.db(database).command({ usersInfo: { user: username, db: database } });
  return (res.users as UserInfo[] | undefined)?.[0];
}

const roleKey = (roles: MongoRole[]) => JSON.stringify(roles.map((r) => `${r.db}.${r.role}`).sort());

/** Whether `username`/`password` can log in to `database` (the user's authentication database). */
export async function canAuthenticate(server: Pick<MongoServer, "host" | "port" | "connectTimeoutMs">, username: string, password: string, database: string): Promise<boolean> {
  const client = newClient(server, { username, password, source: database });
  try {
    await client.connect();
    await client.db(database).command({ ping: 1 });
    return true;
  } catch (err) {
    if (isAuthFailure(err)) return false;
    throw new MongoUserError(`cannot connect to MongoDB at ${server.host}:${server.port}: ${oneLine(err)}`);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Creates the user with its password and roles, or (it exists: a run interrupted after creating it) sets both.
 * Returns the server kind and the roles actually sent.
 */
export async function ensureUser(server: MongoServer, spec: MongoUserSpec): Promise<{ serverKind: ServerKind; rolesSent: MongoRole[] }> {
  return withAdmin(server, async (client) => {
    const { kind } = await serverKind(client);
    const roles = rolesFor(kind, spec.roles);
    const db = client.db(spec.database);
    if (await userInfo(client, spec.username, spec.database)) {
      await db.command({ updateUser: spec.username, pwd: spec.password, roles });
    } else {
      await db.command({ createUser: spec.username, pwd: spec.password, roles, mechanisms: ["SCRAM-SHA-256"] });
    }
    return { serverKind: kind, rolesSent: roles };
  });
}

/** The user's live state: missing, its password no longer accepted, or its roles changed (MongoDB only). */
export async function inspectUser(server: MongoServer, spec: MongoUserSpec): Promise<MongoUserState> {
  const found = await withAdmin(server, async (client) => {
    const { kind } = await serverKind(client);
    const info = await userInfo(client, spec.username, spec.database);
    return info && { info, kind };
  });
  if (!found) return "missing";
  if (!(await canAuthenticate(server, spec.username, spec.password, spec.database))) return "password-changed";
  if (roleKey(found.info.roles ?? []) !== roleKey(rolesFor(found.kind, spec.roles))) return "roles-changed";
  return "intact";
}

/** Drops the user; a user already gone is fine. */
export async function dropUser(server: MongoServer, spec: { username: string; database: string }): Promise<void> {
  await withAdmin(server, async (client) => {
    if (await userInfo(client, spec.username, spec.database)) await client.db(spec.database).command({ dropUser: spec.username });
  });
}
