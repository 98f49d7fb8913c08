// One error type for every client: each client's own class (kept: provider code stored in states uses them) is an
// EdgeError, which the dynamic-provider host prints as one line (`${err}: ${err.stack}` with an empty stack).
import { describe, expect, it } from "vitest";
import { CaImportError } from "../pki/ca-import";
import { CustodyError } from "../secret-store/custody";
import { EdgeError, isEdgeError } from "./errors";
import { EtcdError } from "../config-store/etcd-connection";
import { FilesError } from "./files";
import { KongError } from "../gateway/kong/kong-admin";
import { MongoUserError } from "../databases/mongo";
import { PostgresError } from "../databases/postgres";
import { SecretStoreError } from "../secret-store/client";

const classes = { SecretStoreError, EtcdError, CustodyError, CaImportError, PostgresError, MongoUserError, FilesError, KongError };

describe("client errors", () => {
  it.each(Object.entries(classes))("%s is an EdgeError with its own name and no stack: the host prints one line", (name, Class) => {
    const err = new Class("the thing at x refused y");
    expect(err).toBeInstanceOf(EdgeError);
    expect(err).toBeInstanceOf(Error);
    expect(isEdgeError(err)).toBe(true);
    expect(err.name).toBe(name);
    expect(`${err}: ${err.stack}`).toBe(`${name}: the thing at x refused y: `);
  });

  it("keeps a cause without printing it", () => {
    const err = new EtcdError("etcd at https://127.0.0.1:1 did not answer", { cause: new Error("ECONNREFUSED") });
    expect((err.cause as Error).message).toBe("ECONNREFUSED");
    expect(`${err}: ${err.stack}`).toBe("EtcdError: etcd at https://127.0.0.1:1 did not answer: ");
  });

  it("an error that is not a reported condition keeps its stack (a bug must be found)", () => {
    expect(isEdgeError(new TypeError("x is undefined"))).toBe(false);
  });
});
