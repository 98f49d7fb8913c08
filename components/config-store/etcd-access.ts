// A service's least-privilege access to etcd: a user without a password (it logs in with its client
// certificate, whose CN is the user name) and a role of the same name holding exactly the granted prefixes.
// No Pulumi in here; change signatures only compatibly (older provider code in a stack's state calls them).
import type { Etcd3, IPermission } from "etcd3";
import { EtcdRoleNotFoundError, EtcdUserNotFoundError } from "etcd3";

export interface ServiceGrant {
  /** User and role name (the CN of the service's client certificate). */
  user: string;
  /** Key prefixes the service may read and write. */
  readwrite: string[];
  /** Key prefixes the service may only read. */
  read: string[];
}

export type AccessState = "intact" | "missing" | "changed";

/** The etcd range end that makes [prefix, end) cover every key starting with prefix. */
function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function permissionSet(grant: ServiceGrant): string[] {
  const entry = (type: string, prefix: string) => `${type} ${Buffer.from(prefix).toString("hex")}-${prefixEnd(prefix).toString("hex")}`;
  return [...grant.readwrite.map((p) => entry("Readwrite", p)), ...grant.read.map((p) => entry("Read", p))].sort();
}

function livePermissionSet(perms: IPermission[]): string[] {
  return perms.map((p) => `${p.permType} ${Buffer.from(p.key ?? []).toString("hex")}-${Buffer.from(p.range_end ?? []).toString("hex")}`).sort();
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof EtcdUserNotFoundError || err instanceof EtcdRoleNotFoundError)) throw err;
  }
}

/**
 * Makes the user and its role exactly as granted: whatever held those names before (another password,
 * other roles, other ranges) is replaced. Needs an administrator's client.
 */
export async function applyServiceAccess(client: Etcd3, grant: ServiceGrant): Promise<void> {
  await ignoreNotFound(client.auth.userDelete({ name: grant.user }));
  await ignoreNotFound(client.auth.roleDelete({ role: grant.user }));
  await client.auth.roleAdd({ name: grant.user });
  for (const prefix of grant.readwrite) await client.auth.roleGrantPermission({ name: grant.user, perm: { permType: "Readwrite", key: Buffer.from(prefix), range_end: prefixEnd(prefix) } });
  for (const prefix of grant.read) await client.auth.roleGrantPermission({ name: grant.user, perm: { permType: "Read", key: Buffer.from(prefix), range_end: prefixEnd(prefix) } });
  await client.auth.userAdd({ name: grant.user, options: { no_password: true } });
  await client.auth.userGrantRole({ user: grant.user, role: grant.user });
}

/** "intact" when the user holds exactly its role and the role exactly the granted ranges. */
export async function inspectServiceAccess(client: Etcd3, grant: ServiceGrant): Promise<AccessState> {
  let roles: string[];
  let perms: IPermission[];
  try {
    roles = (await client.auth.userGet({ name: grant.user })).roles ?? [];
    perms = (await client.auth.roleGet({ role: grant.user })).perm ?? [];
  } catch (err) {
    if (err instanceof EtcdUserNotFoundError || err instanceof EtcdRoleNotFoundError) return "missing";
    throw err;
  }
  const sameRoles = roles.length === 1 && roles[0] === grant.user;
  return sameRoles && JSON.stringify(livePermissionSet(perms)) === JSON.stringify(permissionSet(grant)) ? "intact" : "changed";
}

/** Removes the user and its role (absent ones are fine). */
export async function removeServiceAccess(client: Etcd3, user: string): Promise<void> {
  await ignoreNotFound(client.auth.userDelete({ name: user }));
  await ignoreNotFound(client.auth.roleDelete({ role: user }));
}
