// What each gateway user is made of in the secret store (names, policy text, token claims), shared by the
// provider and the tests. No Pulumi in here.
import { call, type StoreEndpoint } from "../../secret-store/client";

export function userPolicyName(user: string): string {
  return `edge-gateway-user-${user}`;
}

/** The user may read its own identity token; nothing else. */
export function userPolicy(user: string): string {
  return `path "identity/oidc/token/${user}" {\n  capabilities = ["read"]\n}`;
}

/** The role's extra claims: the user's groups, which the auth service compares with a route's groups. */
export function roleTemplate(groups: string[]): string {
  return JSON.stringify({ groups });
}

/** The gateway paths a user logs in at and gets a token from (the store's endpoints, passed through). */
export function userPaths(passthrough: string, userpassPath: string, user: string): { loginPath: string; tokenPath: string } {
  return { loginPath: `${passthrough}/v1/auth/${userpassPath}/login/${user}`, tokenPath: `${passthrough}/v1/identity/oidc/token/${user}` };
}

/** "90", "90s", "15m", "1h" in seconds. */
export function durationSeconds(value: string): number {
  const m = /^(\d+)([smh]?)$/.exec(value);
  if (!m) throw new Error(`${JSON.stringify(value)} is not a duration`);
  return Number(m[1]) * ({ "": 1, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2]];
}

// ---- The store's userpass lockout (OpenBao's user_lockout_config on the mount), set explicitly by the stack.
// A locked user's login is refused 403 "permission denied" (a wrong password: 400), so `refresh` asks
// sys/locked-users before it calls a failed login a changed password.

/** threshold 0: no lockout (OpenBao's lockout_disable). */
export interface UserpassLockout {
  threshold: number;
  durationSeconds: number;
}

export async function writeUserpassLockout(endpoint: StoreEndpoint, adminToken: string, mount: string, lockout: UserpassLockout): Promise<void> {
  const config = lockout.threshold === 0 ? { lockout_disable: true } : { lockout_disable: false, lockout_threshold: String(lockout.threshold), lockout_duration: `${lockout.durationSeconds}s` };
  await call(endpoint, "POST", `sys/auth/${mount}/tune`, { token: adminToken, body: { user_lockout_config: config } });
}

export async function readUserpassLockout(endpoint: StoreEndpoint, adminToken: string, mount: string): Promise<UserpassLockout | undefined> {
  const { status, json } = await call(endpoint, "GET", `sys/auth/${mount}/tune`, { token: adminToken, accept: [400, 404] });
  if (status >= 400) return undefined;
  const d = json.data ?? json;
  return d.user_lockout_disable ? { threshold: 0, durationSeconds: 0 } : { threshold: Number(d.user_lockout_threshold), durationSeconds: Number(d.user_lockout_duration) };
}

/** Whether the store has locked out the userpass login `name` on the mount with this accessor (sys/locked-users). */
export async function userpassLocked(endpoint: StoreEndpoint, adminToken: string, accessor: string, name: string): Promise<boolean> {
  const { json } = await call(endpoint, "GET", "sys/locked-users", { token: adminToken, accept: [404] });
  const namespaces: any[] = json?.data?.by_namespace ?? [];
  return namespaces.some((ns) => (ns.mount_accessors ?? []).some((m: any) => m.mount_accessor === accessor && (m.alias_identifiers ?? []).includes(name)));
}
