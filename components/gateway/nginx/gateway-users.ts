// What each gateway user is made of in the secret store (names, policy text, token claims), shared by the
// provider and the tests. No Pulumi in here.

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
