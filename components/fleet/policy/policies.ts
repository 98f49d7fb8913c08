// The policies of the edge-security policy pack (Pulumi CrossGuard; index.js serves them): guard rails an operator
// of many nodes runs with
//   pulumi preview --policy-pack components/fleet/policy [--policy-pack-config <file.json>]
// Every rule is mandatory: a violation stops the preview or update before anything changes. The rules
// themselves are plain functions in rules.ts; this file wires them into @pulumi/policy, without side effects, so
// that tests load it without serving anything.
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import * as rules from "./rules";

/**
 * A plain copy of the inputs, with the values not known yet at preview (another resource's outputs) left out:
 * @pulumi/policy throws on reading one, which would turn a whole rule into "can't run during preview". A rule
 * then checks what is known; `up` runs the policies again with every value known.
 */
export function knownValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(knownValues);
  if (value === null || typeof value !== "object") return value;
  const plain: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    try {
      plain[key] = knownValues((value as Record<string, unknown>)[key]);
    } catch {
      // unknown during preview
    }
  }
  return plain;
}

const view = (args: ResourceValidationArgs): rules.ResourceView => ({
  type: args.type,
  name: args.name,
  props: knownValues(args.props) as Record<string, any>,
  additionalSecretOutputs: args.opts.additionalSecretOutputs ?? [],
  stackTags: args.stackTags,
});

/** A mandatory resource policy whose violations are the messages `check` returns. */
function policy(name: string, description: string, check: (r: rules.ResourceView, config: any) => string[], configSchema?: ResourceValidationPolicy["configSchema"]): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    ...(configSchema ? { configSchema } : {}),
    validateResource: (args, reportViolation) => {
      for (const message of check(view(args), args.getConfig())) reportViolation(message);
    },
  };
}

export const policies: ResourceValidationPolicy[] = [
  policy("no-dev-mode-in-production", "No config store DEV_MODE in a production stack.", rules.devModeViolations, {
    properties: { production: { type: "boolean", default: false, description: `Treat every stack as production (otherwise: the stack tag ${rules.PRODUCTION_TAG}=true).` } },
  }),
  policy("no-weak-keys", `No RSA key under ${rules.MIN_RSA_BITS} bits and no EC curve under P-256 (CA and service certificates).`, (r) => rules.weakKeyViolations(r)),
  policy("certificate-max-lifetime", "No certificate that lives longer than the configured maximum.", rules.lifetimeViolations, {
    properties: {
      maxServiceLifetimeDays: { type: "integer", minimum: 1, default: rules.DEFAULT_MAX_SERVICE_LIFETIME_DAYS },
      maxCaLifetimeDays: { type: "integer", minimum: 1, default: rules.DEFAULT_MAX_CA_LIFETIME_DAYS },
    },
  }),
  policy("secret-outputs-are-secret", "Every output that carries a password, token, key or credential is a Pulumi secret.", (r) => rules.secretOutputViolations(r)),
  policy("gateway-routes-authenticated", "Gateway routes require authentication unless marked public (and, if configured, listed).", rules.routeViolations, {
    properties: { publicRoutes: { type: "array", items: { type: "string" }, description: "The only route names that may be public." } },
  }),
];
