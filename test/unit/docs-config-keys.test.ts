// The docs and the config schema cannot drift apart: every key the node config's zod schema knows must appear in
// docs/*.md as its full key path in backticks (`secretStore.custodyDir`, `services[].hostnames`,
// `gateway.kong.users[].owner.uid`), which is how the config-reference tables in docs/<concern>.md name them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { nodeSchema } from "../../components/node-config";
import { CUSTODY_SECRET_KEY } from "../../components/secret-store/config";

const DOCS_DIR = join(__dirname, "..", "..", "docs");

/**
 * Every key path under `schema`: an object's keys (`a.b`), an array's elements (`a[]`), a record's values (no key
 * of their own: its keys are the user's). Wrappers (optional, default, refinements, preprocess) are looked through.
 */
function keyPaths(schema: z.ZodTypeAny, prefix = ""): string[] {
  const def = schema._def as { typeName: z.ZodFirstPartyTypeKind } & Record<string, unknown>;
  switch (def.typeName) {
    case z.ZodFirstPartyTypeKind.ZodOptional:
    case z.ZodFirstPartyTypeKind.ZodNullable:
    case z.ZodFirstPartyTypeKind.ZodDefault:
    case z.ZodFirstPartyTypeKind.ZodCatch:
    case z.ZodFirstPartyTypeKind.ZodReadonly:
      return keyPaths(def.innerType as z.ZodTypeAny, prefix);
    case z.ZodFirstPartyTypeKind.ZodEffects:
      return keyPaths(def.schema as z.ZodTypeAny, prefix);
    case z.ZodFirstPartyTypeKind.ZodPipeline:
      return keyPaths(def.in as z.ZodTypeAny, prefix);
    case z.ZodFirstPartyTypeKind.ZodLazy:
      return keyPaths((def.getter as () => z.ZodTypeAny)(), prefix);
    case z.ZodFirstPartyTypeKind.ZodArray:
      return keyPaths(def.type as z.ZodTypeAny, `${prefix}[]`);
    case z.ZodFirstPartyTypeKind.ZodRecord:
      return keyPaths(def.valueType as z.ZodTypeAny, `${prefix}.<name>`).filter((p) => p !== `${prefix}.<name>`);
    case z.ZodFirstPartyTypeKind.ZodUnion:
    case z.ZodFirstPartyTypeKind.ZodDiscriminatedUnion:
      return [...new Set((def.options as z.ZodTypeAny[]).flatMap((o) => keyPaths(o, prefix)))];
    case z.ZodFirstPartyTypeKind.ZodIntersection:
      return [...new Set([...keyPaths(def.left as z.ZodTypeAny, prefix), ...keyPaths(def.right as z.ZodTypeAny, prefix)])];
    case z.ZodFirstPartyTypeKind.ZodObject:
      return Object.entries((schema as z.AnyZodObject).shape).flatMap(([key, child]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        return [path, ...keyPaths(child as z.ZodTypeAny, path)];
      });
    default:
      return [];
  }
}

function docsText(): string {
  return readdirSync(DOCS_DIR)
    .filter((f) => f.endsWith(".md"))
    .map((f) => readFileSync(join(DOCS_DIR, f), "utf8"))
    .join("\n");
}

/** The keys of `keys` that no doc names as `key` (in backticks). */
function undocumented(keys: string[], text: string): string[] {
  return keys.filter((k) => !text.includes(`\`${k}\``));
}

// Keys the program reads beside the schema: the custody secret is its own stack setting (a secret).
const KEYS = [...keyPaths(nodeSchema), CUSTODY_SECRET_KEY];

describe("docs name every config key", () => {
  it("walks the whole schema (nested objects, arrays, the sections)", () => {
    expect(KEYS).toEqual(expect.arrayContaining(["secretsRoot", "services[].hostnames", "secretStore.custodyDir", "gateway.kong.adminUrl", "gateway.kong.users[].owner.uid", "databases.mongo.services[].roles[].db", "configStore.prefix", "secretStoreCustodySecret"]));
    expect(new Set(KEYS).size).toBe(KEYS.length);
  });

  it("fails naming each key that no docs/*.md mentions", () => {
    const text = "`secretsRoot` and `services[].name`";
    expect(undocumented(["secretsRoot", "services[].name", "services[].hostnames", "pki.ca.source"], text)).toEqual(["services[].hostnames", "pki.ca.source"]);
  });

  it("every key appears in docs/ as `<key path>`", () => {
    const missing = undocumented(KEYS, docsText());
    expect(missing, `config keys no docs/*.md names (add each, in backticks, to its concern's config reference):\n${missing.join("\n")}`).toEqual([]);
  });
});
