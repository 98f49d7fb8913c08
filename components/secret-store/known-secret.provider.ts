// KnownSecret's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as store from "./client";
import type { KnownSecretInputs } from "./known-secret";

type Inputs = pulumi.Unwrap<KnownSecretInputs>;

interface Outputs extends Inputs {
  password: string;
  live: "intact" | "missing" | "changed";
}

/** EdgeX's generated passwords: 33 random bytes, standard base64. */
const PASSWORD_BYTES = 33;

const newPassword = (): string => require("node:crypto").randomBytes(PASSWORD_BYTES).toString("base64");

function kv(props: Inputs) {
  const v1 = props.kvVersion === "1";
  return {
    read: (admin: string, path: string) => (v1 ? store.kv1Read : store.kvRead)(props, admin, props.mount, path),
    write: (admin: string, path: string, data: Record<string, string>) => (v1 ? store.kv1Write : store.kvWrite)(props, admin, props.mount, path, data),
    remove: (admin: string, path: string) => (v1 ? store.kv1Delete : store.kvDestroy)(props, admin, props.mount, path),
  };
}

/** Whether an entry found in the store holds these keys and values (other keys there are left alone). */
function holds(found: Record<string, unknown> | undefined, entry: Record<string, string>): boolean {
  return found !== undefined && Object.entries(entry).every(([k, v]) => found[k] === v);
}

/** Writes the pair wherever it is not already; with no password given, adopts one found at a path (or makes one). */
async function apply(inputs: Inputs, given?: string): Promise<string> {
  const entries = kv(inputs);
  return store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
    const found = await Promise.all(inputs.paths.map((path) => entries.read(admin, path)));
    const adoptable = found.find((e) => e?.username === inputs.username && typeof e.password === "string" && e.password.length > 0);
    const password = given ?? adoptable?.password ?? newPassword();
    const entry = { ...inputs.fields, username: inputs.username, password };
    for (const [i, path] of inputs.paths.entries()) {
      if (!holds(found[i], entry)) await entries.write(admin, path, entry);
    }
    return password;
  });
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (news.kvVersion !== "1" && news.kvVersion !== "2") failures.push({ property: "kvVersion", reason: 'must be "1" or "2"' });
    if (!Array.isArray(news.paths) || news.paths.length === 0) failures.push({ property: "paths", reason: "must list at least one path" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    const password = await apply(inputs);
    return { id: `${inputs.mount}/${inputs.paths[0]}`, outs: { ...inputs, password, live: "intact" } };
  },

  async read(id, props) {
    if ((await store.sealStatus(props)).sealed) return { id, props };
    const entries = kv(props);
    const found = await store.withRootToken(props, props.unsealKeys, (admin) => Promise.all(props.paths.map((path) => entries.read(admin, path))));
    const entry = { ...props.fields, username: props.username, password: props.password };
    const live = found.some((e) => !e) ? "missing" : found.every((e) => holds(e!, entry)) ? "intact" : "changed";
    return { id, props: { ...props, live } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, ["mount", "kvVersion"]);
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "paths", "username", "unsealKeys", "rotation", "fields"]);
    if (olds.live !== "intact") changed.push("live");
    return { changes: replaces.length + changed.length > 0, replaces };
  },

  async update(_id, olds, news) {
    // A new rotation generation is a new password, written over the old entries (the store never lacks one).
    const password = await apply(news, (olds.rotation ?? 0) === (news.rotation ?? 0) ? olds.password : newPassword());
    const gone = olds.paths.filter((p) => !news.paths.includes(p));
    if (gone.length > 0) await store.withRootToken(news, news.unsealKeys, async (admin) => {
      for (const path of gone) await kv(olds).remove(admin, path);
    });
    return { outs: { ...news, password, live: "intact" } };
  },

  async delete(_id, props) {
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      for (const path of props.paths) await kv(props).remove(admin, path);
    });
  },
});
