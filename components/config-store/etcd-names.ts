// The etcd user names the stack reserves. No Pulumi, no dependencies (the config checks load this too).

export const ROOT_USER = "root";
/**
 * CN of the admin connection's client certificate (in memory, one day, signed by the node CA): etcd takes it as
 * the user of that name, which `enableAuth` creates without a password and with the root role.
 */
export const ADMIN_CLIENT_CN = "edge-security-admin";
