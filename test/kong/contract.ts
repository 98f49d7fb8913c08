// Checks Admin API traffic against Kong's own OpenAPI description of the OSS Admin API (3.9), with
// openapi-backend (ajv underneath). The endpoints Kong's bundled plugins add (a consumer's acls, jwt and oauth2
// credentials) are not in Kong's file; they are checked against kong-credentials.openapi.yaml (ours, from
// kong-notes.md), and nothing else. A request that matches no operation of either file is a violation.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import addFormats from "ajv-formats";
import OpenAPIBackend, { type Operation } from "openapi-backend";
import { parse } from "yaml";

import { sharedPath } from "../support/shared";

/**
 * Kong's published file, from ../shared/contracts: undefined (with one printed line) where a clone has no ../shared
 * beside it. Every test that starts the stand-in skips then (`describe.skipIf(!KONG_OPENAPI)`); under CI=true its
 * absence is an error.
 */
export const KONG_OPENAPI = sharedPath("contracts/kong-admin-oss-3.9.openapi.yaml", "the Kong tests (stand-in checked against Kong's OpenAPI)");
const CREDENTIALS_OPENAPI = join(__dirname, "kong-credentials.openapi.yaml");

/** Statuses Kong answers that its file does not list, as kong-notes.md records them (from Kong's source). */
const STATUSES_FROM_NOTES: Record<string, string> = {
  "409": "a unique violation (kong/db/errors.lua)",
};

export interface Exchange {
  method: string;
  /** Path with query string, as sent. */
  path: string;
  body?: unknown;
  status: number;
  answer?: unknown;
}

/**
 * Kong's file as published, with two repairs, both where the file contradicts itself:
 * - a few schemas say `nullable: true` without a `type`, which OpenAPI 3.0 does not allow and ajv refuses to
 *   compile; there `nullable` is dropped (a schema without a type accepts null anyway: nothing gets stricter);
 * - the plugin request body types `route`, `service` and `consumer` as strings, while its own descriptions (and
 *   Kong's source) say that in JSON they are objects (`"route":{"id":"<route id>"}`); they are typed as such.
 */
function kongDefinition(): any {
  if (!KONG_OPENAPI) throw new Error("Kong's OpenAPI file is absent (../shared/contracts): skip the test with describe.skipIf(!KONG_OPENAPI)");
  const doc = parse(readFileSync(KONG_OPENAPI, "utf8"));
  const repair = (node: any): void => {
    if (Array.isArray(node)) return node.forEach(repair);
    if (!node || typeof node !== "object") return;
    if (node.nullable !== undefined && node.type === undefined) delete node.nullable;
    Object.values(node).forEach(repair);
  };
  repair(doc);
  const plugin = doc.components.requestBodies["plugin-request"].content["application/json"].schema.properties;
  for (const field of ["route", "service", "consumer"]) {
    plugin[field] = { type: "object", nullable: true, additionalProperties: false, properties: { id: { type: "string" }, name: { type: "string" }, ...(field === "consumer" ? { username: { type: "string" } } : {}) }, description: plugin[field].description };
  }
  return doc;
}

/** The formats Kong's file uses: the standard ones, and Kong's `host` (a DNS name, possibly a wildcard). */
const customizeAjv = (ajv: any) => {
  addFormats(ajv);
  ajv.addFormat("host", /^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(\.\*)?$/);
  return ajv;
};

let loading: Promise<KongContract> | undefined;

export class KongContract {
  private constructor(private readonly apis: OpenAPIBackend[]) {}

  /** Loaded once per process (compiling every schema of Kong's file takes a while). */
  static load(): Promise<KongContract> {
    loading ??= (async () => {
      const apis = [
        new OpenAPIBackend({ definition: kongDefinition(), strict: false, validate: true, quick: true, customizeAjv }),
        new OpenAPIBackend({ definition: parse(readFileSync(CREDENTIALS_OPENAPI, "utf8")), strict: true, validate: true, quick: true, customizeAjv }),
      ];
      for (const api of apis) await api.init();
      return new KongContract(apis);
    })();
    return loading;
  }

  private match(method: string, path: string): { api: OpenAPIBackend; operation: Operation } | undefined {
    for (const api of this.apis) {
      const operation = api.matchOperation({ method, path, headers: {} });
      if (operation) return { api, operation };
    }
    return undefined;
  }

  /** The problems of one request and its answer (empty: both follow the contract). */
  check(exchange: Exchange): string[] {
    const [path, search = ""] = exchange.path.split("?");
    const label = `${exchange.method} ${exchange.path} -> ${exchange.status}`;
    const found = this.match(exchange.method, path);
    if (!found) return [`${label}: no operation of Kong's Admin API (nor of the plugin credential endpoints) matches`];
    const { api, operation } = found;
    const problems: string[] = [];
    const query = Object.fromEntries(new URLSearchParams(search));
    const request = api.validateRequest({ method: exchange.method, path, query, headers: { "content-type": "application/json" }, ...(exchange.body === undefined ? {} : { body: exchange.body }) }, operation);
    if (!request.valid) problems.push(`${label}: request ${JSON.stringify(request.errors)}`);
    const documented = Object.keys(operation.responses ?? {});
    if (!documented.includes(String(exchange.status)) && !STATUSES_FROM_NOTES[String(exchange.status)]) problems.push(`${label}: status ${exchange.status} is not documented for ${operation.operationId ?? operation.path} (documented: ${documented.join(", ")})`);
    if (exchange.answer !== undefined) {
      const response = api.validateResponse(exchange.answer, operation, exchange.status);
      if (!response.valid) problems.push(`${label}: answer ${JSON.stringify(response.errors)}`);
    }
    return problems;
  }
}
