// etcd's authentication switch: the root user (the stack's root password, a Pulumi secret), the stack's admin
// user, and `auth enable`. No Pulumi in here; change signatures only compatibly (older provider code in a
// stack's state calls them).
//
// Why an admin user next to root: the providers' admin calls present an in-memory client certificate whose CN
// is ADMIN_CLIENT_CN (a user without a password, holding the root role), so they carry no token. Password
// tokens in etcd 3.4 go stale after every user or role change ("revision of auth store is old"), so a run that
// changes many users would re-authenticate (bcrypt) after nearly every call. Root's password is checked once per
// run, to adopt an etcd only when the stack holds its root credentials, and stays the operator's break-glass login.
import { EtcdUserExistsError, EtcdUserNotFoundError } from "etcd3";
import { ADMIN_CLIENT_CN, EtcdError, EtcdTarget, ROOT_USER, withEtcd } from "./etcd-connection";

/** "enabled": root's password works and the admin user holds the root role; "locked": the password is refused. */
export type AuthState = "enabled" | "disabled" | "locked" | "admin-missing";

/** Authentication state as root's password sees it (Authenticate answers all three ways). */
async function tryRootPassword(target: EtcdTarget, rootPassword: string): Promise<"ok" | "disabled" | "refused"> {
  return withEtcd(target, undefined, (c) =>
    c.auth.authenticate({ name: ROOT_USER, password: rootPassword }).then(
      () => "ok" as const,
      (err: Error) => {
        if (/authentication is not enabled/.test(err.message)) return "disabled" as const;
        if (/authentication failed/.test(err.message)) return "refused" as const;
        throw err;
      },
    ),
  );
}

async function adminHoldsRoot(target: EtcdTarget): Promise<boolean> {
  return withEtcd(target, undefined, (c) =>
    c.auth.userGet({ name: ADMIN_CLIENT_CN }).then(
      (user) => (user.roles ?? []).includes(ROOT_USER),
      (err) => {
        if (err instanceof EtcdUserNotFoundError || /user name not found|permission denied/.test(String(err?.message))) return false;
        throw err;
      },
    ),
  );
}

export async function inspectAuth(target: EtcdTarget, rootPassword: string): Promise<AuthState> {
  const root = await tryRootPassword(target, rootPassword);
  if (root === "disabled") return "disabled";
  if (root === "refused") return "locked";
  return (await adminHoldsRoot(target)) ? "enabled" : "admin-missing";
}

async function addUser(c: import("etcd3").Etcd3, name: string, password: string | undefined): Promise<void> {
  try {
    await c.auth.userAdd(password === undefined ? { name, options: { no_password: true } } : { name, password });
  } catch (err) {
    if (!(err instanceof EtcdUserExistsError)) throw err;
    if (password === undefined) {
      // Whatever held the name before (a password login) goes: this user logs in by certificate only.
      await c.auth.userDelete({ name });
      await c.auth.userAdd({ name, options: { no_password: true } });
    } else {
      await c.auth.userChangePassword({ name, password });
    }
  }
  await c.auth.userGrantRole({ user: name, role: ROOT_USER });
}

/**
 * Creates `root` with the password (or sets its password) and the admin user, both with the root role, and
 * enables authentication. An etcd whose authentication is already on is adopted when root's password works
 * (`adopted: true`; a missing admin user is added back), and refused with a clear message when it does not.
 */
export async function enableAuth(target: EtcdTarget, rootPassword: string): Promise<{ adopted: boolean }> {
  const state = await inspectAuth(target, rootPassword);
  if (state === "locked") {
    throw new EtcdError(
      `etcd at ${target.endpoint} already has authentication enabled and refuses this stack's root password: it was set up by someone else (turn its authentication off with its own root password, or give this stack an etcd of its own)`,
    );
  }
  if (state === "disabled") {
    await withEtcd(target, undefined, async (c) => {
      await addUser(c, ROOT_USER, rootPassword);
      await addUser(c, ADMIN_CLIENT_CN, undefined);
      await c.auth.authEnable();
    });
  } else if (state === "admin-missing") {
    // As root, one call per login: each user change makes the previous token stale.
    const root = { username: ROOT_USER, password: rootPassword };
    await withEtcd(target, root, (c) => c.auth.userDelete({ name: ADMIN_CLIENT_CN }).catch((err) => { if (!(err instanceof EtcdUserNotFoundError)) throw err; }));
    await withEtcd(target, root, (c) => c.auth.userAdd({ name: ADMIN_CLIENT_CN, options: { no_password: true } }));
    await withEtcd(target, root, (c) => c.auth.userGrantRole({ user: ADMIN_CLIENT_CN, role: ROOT_USER }));
  }
  return { adopted: state !== "disabled" };
}

/** Sets root's password to `newPassword`, logged in with the current one. */
export async function changeRootPassword(target: EtcdTarget, currentPassword: string, newPassword: string): Promise<void> {
  await withEtcd(target, { username: ROOT_USER, password: currentPassword }, (c) => c.auth.userChangePassword({ name: ROOT_USER, password: newPassword }));
}

/** Turns authentication off and removes the admin and root users: the etcd is open again, as before the stack. */
export async function disableAuth(target: EtcdTarget, rootPassword: string): Promise<void> {
  const root = await tryRootPassword(target, rootPassword);
  if (root === "refused") throw new EtcdError(`etcd at ${target.endpoint} refuses this stack's root password: authentication left enabled`);
  if (root === "ok") await withEtcd(target, { username: ROOT_USER, password: rootPassword }, (c) => c.auth.authDisable());
  await withEtcd(target, undefined, async (c) => {
    for (const name of [ADMIN_CLIENT_CN, ROOT_USER]) {
      try {
        await c.auth.userDelete({ name });
      } catch (err) {
        if (!(err instanceof EtcdUserNotFoundError)) throw err;
      }
    }
  });
}
