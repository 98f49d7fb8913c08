// Kong's deterministic ids, apart from the Admin API client (kong-admin re-exports them): the Kong component needs
// one while it builds the graph, and the program need not load the HTTP client for it.
import { v5 as uuidv5 } from "uuid";

/** Kong's namespace for our deterministic ids (UUIDv5 of the stack and the object's purpose). */
const ID_NAMESPACE = "5b6c0f2e-6f1d-4d2a-9a51-7e0c2f1d7a11";

/** A deterministic id: the same stack and purpose always give the same id (certificates, plugins, ACLs). */
export function deterministicId(stack: string, purpose: string): string {
  return uuidv5(`${stack}\n${purpose}`, ID_NAMESPACE);
}
