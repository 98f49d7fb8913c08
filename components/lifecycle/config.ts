// The stack config's `rotation` section: rotation generations, one counter per kind of credential, for the node
// and per service. Raising a counter is the rotation: the resources that hold it take the sum as an input, so
// `preview` shows exactly what changes, `up` does it, and a run that crashed half way finishes it on the next
// `up` (the config still asks for the new generation until the state holds it). No Pulumi in here.
import { z } from "zod";

const generation = z.number({ invalid_type_error: "must be a whole number" }).int("must be a whole number").nonnegative("must be 0 or more");

const perService = z
  .object({
    /** Every credential of this service: certificate, token and database password. */
    all: generation.default(0),
    certificate: generation.default(0),
    token: generation.default(0),
    password: generation.default(0),
  })
  .strict();

export const rotationSchema = z
  .object({
    /** Every credential of every service of the node. */
    all: generation.default(0),
    /** Every service certificate (the CA is not rotated by this). */
    certificates: generation.default(0),
    /** Every service token: "invalidate everything" (old tokens revoked, new token files, readiness files rewritten). */
    tokens: generation.default(0),
    /** Every database password kept in the secret store. */
    passwords: generation.default(0),
    services: z.record(perService).default({}),
  })
  .strict();

export type RotationConfig = z.infer<typeof rotationSchema>;

/** The generation of each credential of one service; 0 everywhere reproduces a stack without rotations. */
export interface ServiceRotation {
  certificate: number;
  token: number;
  password: number;
}

export function serviceRotation(rotation: RotationConfig | undefined, service: string): ServiceRotation {
  if (!rotation) return { certificate: 0, token: 0, password: 0 };
  const own = rotation.services[service] ?? { all: 0, certificate: 0, token: 0, password: 0 };
  return {
    certificate: rotation.all + rotation.certificates + own.all + own.certificate,
    token: rotation.all + rotation.tokens + own.all + own.token,
    password: rotation.all + rotation.passwords + own.all + own.password,
  };
}

/** A generation as a resource input: 0 is left out, so stacks that never rotated keep their inputs unchanged. */
export function generationInput(value: number | undefined): number | undefined {
  return value ? value : undefined;
}

/** Names in rotation.services that are not services; returns [key path, message] of the first. */
export function rotationProblem(rotation: RotationConfig | undefined, serviceNames: string[]): [string[], string] | undefined {
  for (const name of Object.keys(rotation?.services ?? {})) {
    if (!serviceNames.includes(name)) return [["rotation", "services", name], "is not in services"];
  }
  return undefined;
}
