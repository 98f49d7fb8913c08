// The key types a CA or service certificate may have. A module of its own so that config parsing (node-config,
// fleet) does not load the X.509 library with pki/client: the program only validates, the provider host issues.
export const KEY_TYPES = ["ec-p256", "ec-p384", "rsa-3072"] as const;
export type KeyType = (typeof KEY_TYPES)[number];
