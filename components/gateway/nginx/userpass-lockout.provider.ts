// UserpassLockout's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../../shared/dynamic-resource";
import * as store from "../../secret-store/client";
import { readUserpassLockout, writeUserpassLockout } from "./gateway-users";
import type { UserpassLockoutInputs } from "./userpass-lockout";

type Inputs = pulumi.Unwrap<UserpassLockoutInputs>;

interface Outputs extends Inputs {
  live: "intact" | "changed";
}

/** OpenBao's own default, put back when the stack lets go of the setting. */
const OPENBAO_DEFAULT = { threshold: 5, durationSeconds: 900 };

const wanted = (inputs: Inputs) => ({ threshold: inputs.threshold, durationSeconds: inputs.threshold === 0 ? 0 : inputs.durationSeconds });

async function apply(inputs: Inputs): Promise<Outputs> {
  await store.withRootToken(inputs, inputs.unsealKeys, (admin) => writeUserpassLockout(inputs, admin, inputs.userpassPath, wanted(inputs)));
  return { ...inputs, live: "intact" };
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (!(Number.isInteger(news.threshold) && news.threshold >= 0)) failures.push({ property: "threshold", reason: "must be a whole number, 0 (no lockout) or more" });
    if (!(Number.isInteger(news.durationSeconds) && news.durationSeconds > 0)) failures.push({ property: "durationSeconds", reason: "must be a whole number of seconds above 0" });
    return { inputs: news, failures };
  },

  async create(inputs) {
    return { id: `${inputs.userpassPath}/lockout`, outs: await apply(inputs) };
  },

  async read(id, props) {
    if ((await store.sealStatus(props)).sealed) return { id, props };
    const live = await store.withRootToken(props, props.unsealKeys, (admin) => readUserpassLockout(props, admin, props.userpassPath));
    return { id, props: { ...props, live: JSON.stringify(live) === JSON.stringify(wanted(props)) ? "intact" : "changed" } };
  },

  async diff(_id, olds, news) {
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "unsealKeys", "userpassPath", "threshold", "durationSeconds"]);
    if (olds.live !== "intact") changed.push("live");
    return { changes: changed.length > 0, replaces: [] };
  },

  async update(_id, _olds, news) {
    return { outs: await apply(news) };
  },

  async delete(_id, props) {
    await store.withRootToken(props, props.unsealKeys, async (admin) => {
      if (await store.readAuthMount(props, admin, props.userpassPath)) await writeUserpassLockout(props, admin, props.userpassPath, OPENBAO_DEFAULT);
    });
  },
});
