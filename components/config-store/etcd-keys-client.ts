// Reading, writing and removing a set of etcd keys (text values). No Pulumi in here; change signatures only
// compatibly (older provider code in a stack's state calls them).
import type { Etcd3 } from "etcd3";

/** The live value of each key; keys that do not exist are left out. */
export async function readKeys(client: Etcd3, keys: string[]): Promise<Record<string, string>> {
  const values = await Promise.all(keys.map((key) => client.get(key).string()));
  return Object.fromEntries(keys.flatMap((key, i) => (values[i] === null ? [] : [[key, values[i] as string]])));
}

/** Writes every key. */
export async function writeKeys(client: Etcd3, values: Record<string, string>): Promise<void> {
  await Promise.all(Object.entries(values).map(([key, value]) => client.put(key).value(value)));
}

/** Removes the keys (absent ones are fine). */
export async function deleteKeys(client: Etcd3, keys: string[]): Promise<void> {
  await Promise.all(keys.map((key) => client.delete().key(key)));
}
