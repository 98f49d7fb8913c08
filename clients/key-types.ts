// The key types the PKI issues. Kept apart from pki.ts (which re-exports them) so that the program's config
// validation does not load @peculiar/x509 on every run.
export const KEY_TYPES = ["ec-p256", "ec-p384", "rsa-3072"] as const;
export type KeyType = (typeof KEY_TYPES)[number];
