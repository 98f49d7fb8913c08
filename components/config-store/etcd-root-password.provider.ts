// EtcdRootPassword's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import { randomBytes } from "node:crypto";
import { implement } from "../shared/dynamic-resource";

export const provider = implement<Record<string, never>, { password: string }>({
  async create() {
    return { id: `etcd-root-${randomBytes(4).toString("hex")}`, outs: { password: randomBytes(24).toString("base64url") } };
  },

  // No inputs, so never a change: without a diff the engine compares the stored provider code itself, and a
  // new release's code would "update" this resource into one without its password (only --replace rotates it).
  async diff() {
    return { changes: false };
  },
});
