// ServiceDbCredentials's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as store from "./client";
import type { ServiceDbCredentialsInputs } from "./service-db-credentials";

type Inputs = pulumi.Unwrap<ServiceDbCredentialsInputs>;

interface Outputs extends Inputs {
  password: string;
  inStore: "intact" | "missing" | "changed";
}

const PASSWORD_BYTES = 32;

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    const { randomBytes } = require("node:crypto");
    const password = await store.withRootToken(inputs, inputs.unsealKeys, async (admin) => {
      // An entry written by an interrupted run is adopted, so a crash never leaves two passwords in play.
      const existing = await store.kvRead(inputs, admin, inputs.mount, inputs.path);
      if (existing?.username === inputs.username && typeof existing.password === "string" && existing.password.length > 0) return existing.password;
      const generated: string = randomBytes(PASSWORD_BYTES).toString("base64url");
      await store.kvWrite(inputs, admin, inputs.mount, inputs.path, { username: inputs.username, password: generated });
      return generated;
    });
    return { id: `${inputs.mount}/${inputs.path}`, outs: { ...inputs, password, inStore: "intact" } };
  },

  async read(id, props) {
    if ((await store.sealStatus(props)).sealed) return { id, props };
    const entry = await store.withRootToken(props, props.unsealKeys, (admin) => store.kvRead(props, admin, props.mount, props.path));
    const inStore = !entry ? "missing" : entry.username === props.username && entry.password === props.password ? "intact" : "changed";
    return { id, props: { ...props, inStore } };
  },

  async diff(_id, olds, news) {
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "mount", "path", "username", "unsealKeys", "rotation"]);
    if (olds.inStore !== "intact") changed.push("inStore");
    return { changes: changed.length > 0 };
  },

  async update(_id, olds, news) {
    const { randomBytes } = require("node:crypto");
    // A new rotation generation is a new password, written over the old entry (the store never lacks one).
    const password: string = (olds.rotation ?? 0) === (news.rotation ?? 0) ? olds.password : randomBytes(PASSWORD_BYTES).toString("base64url");
    await store.withRootToken(news, news.unsealKeys, async (admin) => {
      await store.kvWrite(news, admin, news.mount, news.path, { username: news.username, password });
      if (olds.mount !== news.mount || olds.path !== news.path) await store.kvDestroy(news, admin, olds.mount, olds.path);
    });
    return { outs: { ...news, password, inStore: "intact" } };
  },

  async delete(_id, props) {
    await store.withRootToken(props, props.unsealKeys, (admin) => store.kvDestroy(props, admin, props.mount, props.path));
  },
});
