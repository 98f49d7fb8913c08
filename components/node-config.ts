// The node stack's configuration: schema, defaults and one-line errors that name the key. No Pulumi in here.
import { isIP } from "node:net";
import { z } from "zod";
import { KEY_TYPES } from "./pki/key-types";
import { SecretStoreConfig, secretStoreProblem, secretStoreSchema } from "./secret-store/config";
import { ConfigStoreConfig, configStoreSchema, resolveConfigStore } from "./config-store/config";
import { DatabasesConfig, databasesSchema, resolveDatabases } from "./databases/config";
import { GatewayConfig, gatewaySchema, resolveGateway } from "./gateway/config";
import { ConfigError, zodProblem } from "./shared/errors";
import { dedicatedFolderProblem } from "./shared/host-paths";
import { ContainersConfig, containersSchema, resolveContainers } from "./containers/config";
import { rotationProblem, rotationSchema, ServiceRotation, serviceRotation } from "./lifecycle/config";
import { nodeCaGenerationFields, nodeCaProblem } from "./fleet/config";
import { eii3ConfigStore } from "./layouts/eii3";
import { edgexExtraServices, edgexGatewayProblem, edgexMessageBus, edgexRawDatabases, edgexSchema, edgexSecretStore } from "./layouts/edgex4";
import { MessageBusConfig, messageBusSchema, resolveMessageBus } from "./message-bus/config";

/** The stack's layout: `default` (this project's own shape) or a compatibility layout (components/layouts/). */
export const LAYOUTS = ["default", "edgex4", "eii3"] as const;
export type Layout = (typeof LAYOUTS)[number];

export const CONFIG_NAMESPACE = "edge-security";
export const DEFAULT_SECRETS_ROOT = "/run/edge-security/secrets";

// The one error type of a config mistake, re-exported where the config is parsed.
export { ConfigError };

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

export function isDnsName(value: string): boolean {
  return value.length <= 253 && value.split(".").every((label) => DNS_LABEL.test(label));
}

const dnsName = z.string().refine(isDnsName, (v) => ({ message: `${JSON.stringify(v)} is not a valid DNS name` }));
const sanEntry = z.string().refine((v) => isIP(v) !== 0 || isDnsName(v), (v) => ({ message: `${JSON.stringify(v)} is not a valid DNS name or IP address` }));
const lifetimeDays = z.number({ invalid_type_error: "must be a number of days" }).int("must be a whole number of days").positive("must be a positive number of days");
// Days before expiry from which `up` renews a certificate (cert-manager's renewBefore); 0 turns renewal off.
const renewBeforeDays = z.number({ invalid_type_error: "must be a number of days" }).nonnegative("must be 0 or more days");
const keyType = z.enum(KEY_TYPES, { errorMap: () => ({ message: `must be one of ${KEY_TYPES.join(", ")}` }) });
const id = z.number().int().nonnegative("must be a non-negative integer");
const absolutePath = z.string().refine((p) => p.startsWith("/"), (p) => ({ message: `${JSON.stringify(p)} must be an absolute path` }));

const ownerSchema = z.object({ uid: id.optional(), gid: id.optional() }).strict();

const serviceSchema = z
  .object({
    name: z.string().refine((n) => SAFE_NAME.test(n), (n) => ({ message: `${JSON.stringify(n)} is not a safe folder name (letters, digits, '.', '_', '-'; not starting with '.'; at most 63 characters)` })),
    hostnames: z.array(dnsName).optional(),
    extraSans: z.array(sanEntry).default([]),
    includeLocalhost: z.boolean().optional(),
    keyType: keyType.optional(),
    lifetimeDays: lifetimeDays.optional(),
    renewBeforeDays: renewBeforeDays.optional(),
    owner: ownerSchema.optional(),
  })
  .strict();

const pkiSchema = z
  .object({
    ca: z
      .object({
        // "org": an intermediate signed by the org stack's root (components/fleet/).
        source: z.enum(["self-signed", "import", "org"], { errorMap: () => ({ message: `must be "self-signed", "import" or "org"` }) }).default("self-signed"),
        commonName: z.string().min(1).default("edge-security node CA"),
        keyType: keyType.default("ec-p384"),
        lifetimeDays: lifetimeDays.default(3650),
        importDir: absolutePath.optional(),
        ...nodeCaGenerationFields,
      })
      .strict()
      .default({}),
    serviceDefaults: z
      .object({
        keyType: keyType.default("ec-p256"),
        lifetimeDays: lifetimeDays.default(365),
        // Unset: the last third of each certificate's lifetime (cert-manager's default).
        renewBeforeDays: renewBeforeDays.optional(),
        includeLocalhost: z.boolean().default(true),
        owner: ownerSchema.default({}),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

// Exported for the docs check (test/unit/docs-config-keys.test.ts), which lists every key it knows.
export const nodeSchema = z
  .object({
    layout: z.enum(LAYOUTS, { errorMap: () => ({ message: `must be one of ${LAYOUTS.join(", ")}` }) }).default("default"),
    edgex: edgexSchema.optional(),
    secretsRoot: absolutePath.default(DEFAULT_SECRETS_ROOT).superRefine((p, ctx) => {
      const problem = p.startsWith("/") ? dedicatedFolderProblem(p) : undefined;
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    pki: pkiSchema,
    services: z.array(serviceSchema).min(1, "must list at least one service"),
    secretStore: secretStoreSchema.optional(),
    configStore: configStoreSchema.optional(),
    databases: databasesSchema.optional(),
    gateway: gatewaySchema.optional(),
    containers: containersSchema.optional(),
    messageBus: messageBusSchema.optional(),
    rotation: rotationSchema.optional(),
  })
  .strict();

export interface ServiceConfig {
  name: string;
  dnsNames: string[];
  ipAddresses: string[];
  keyType: (typeof KEY_TYPES)[number];
  lifetimeDays: number;
  /** Unset: a third of lifetimeDays (the provider's default). */
  renewBeforeDays?: number;
  owner: { uid?: number; gid?: number };
  /** Rotation generations of the service's certificate, token and password (all 0 when unset). */
  rotation?: ServiceRotation;
}

export interface NodeConfig {
  /** The compatibility layout the stack asked for (components/layouts/); "default" for existing stacks. */
  layout: Layout;
  secretsRoot: string;
  ca: z.infer<typeof pkiSchema>["ca"];
  services: ServiceConfig[];
  /** Absent: the stack has no secret store (PKI only). */
  secretStore?: SecretStoreConfig;
  /** Set when the stack has an enabled `configStore` section. */
  configStore?: ConfigStoreConfig;
  databases?: DatabasesConfig;
  /** Set when the stack has a `gateway` section: the kind, its service and the checked routes. */
  gateway?: GatewayConfig;
  /** Set when `containers.enabled` is true: the optional container runtime (components/containers). */
  containers?: ContainersConfig;
  /** The MQTT broker's users and address (layout edgex4: the store's message-bus secret). */
  messageBus?: MessageBusConfig;
}

function keyPath(path: (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${part}`), CONFIG_NAMESPACE).replace(`${CONFIG_NAMESPACE}.`, `${CONFIG_NAMESPACE}:`);
}

/** The raw config object as Pulumi gives it: { secretsRoot, pki, services, databases } (undefined where unset). */
export function parseNodeConfig(raw: Record<string, unknown>): NodeConfig {
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  // The EdgeX 4 layout completes the databases section (EdgeX's PostgreSQL shape) before it is validated.
  if (given.layout === "edgex4" && given.databases !== undefined) {
    given.databases = edgexRawDatabases(given, (path, message) => {
      throw new ConfigError(`${keyPath(path)}: ${message}`);
    });
  }
  const parsed = nodeSchema.safeParse(given);
  if (!parsed.success) {
    const [path, message] = zodProblem(parsed.error);
    throw new ConfigError(`${keyPath(path)}: ${message}`);
  }
  const { layout, secretsRoot, pki, configStore, databases } = parsed.data;
  if (parsed.data.edgex && layout !== "edgex4") throw new ConfigError(`${keyPath(["edgex"])}: is read only with ${keyPath(["layout"])} edgex4 (the stack's layout is ${layout})`);
  const edgex = layout === "edgex4" ? (parsed.data.edgex ?? edgexSchema.parse(undefined)) : undefined;
  // EDGEX_ADD_SECRETSTORE_TOKENS: the services it names join the node's services.
  const services = edgex ? [...parsed.data.services, ...edgexExtraServices(edgex, parsed.data.services.map((s) => s.name)).map((name) => serviceSchema.parse({ name }))] : parsed.data.services;
  // The store keeps the gateway's certificate: the gateway section's service when there is one, else a "kong" service.
  const gatewayService = parsed.data.gateway && (parsed.data.gateway.service ?? parsed.data.gateway.kind);
  const gatewayServiceKnown = gatewayService !== undefined && services.some((s) => s.name === gatewayService);
  const ownStore = parsed.data.secretStore && { ...parsed.data.secretStore, gatewayService: parsed.data.secretStore.gatewayService ?? (gatewayServiceKnown ? gatewayService : undefined) ?? (services.some((s) => s.name === "kong") ? "kong" : undefined) };

  // Keyed by the lower-case name: names that differ only in case collide as DNS names (and on some file systems).
  const seen = new Map<string, string>();
  services.forEach((s, i) => {
    const includeLocalhost = s.includeLocalhost ?? pki.serviceDefaults.includeLocalhost;
    if ((s.hostnames?.length ?? 1) === 0 && s.extraSans.length === 0 && !includeLocalhost) {
      throw new ConfigError(`${keyPath(["services", i, "hostnames"])}: the certificate would have no DNS name or IP address (give hostnames or extraSans, or includeLocalhost)`);
    }
    const earlier = seen.get(s.name.toLowerCase());
    if (earlier === s.name) throw new ConfigError(`${keyPath(["services", i, "name"])}: duplicate service name ${JSON.stringify(s.name)}`);
    if (earlier !== undefined) throw new ConfigError(`${keyPath(["services", i, "name"])}: ${JSON.stringify(s.name)} differs from service ${JSON.stringify(earlier)} only in case: they would get certificates for the same DNS name`);
    seen.set(s.name.toLowerCase(), s.name);
    if (s.hostnames === undefined && !isDnsName(s.name)) {
      throw new ConfigError(`${keyPath(["services", i, "hostnames"])}: is required because the name ${JSON.stringify(s.name)} is not a valid DNS name`);
    }
    // A window as long as the lifetime would renew the certificate on every run.
    const renewBefore = s.renewBeforeDays ?? pki.serviceDefaults.renewBeforeDays;
    const lifetime = s.lifetimeDays ?? pki.serviceDefaults.lifetimeDays;
    if (renewBefore !== undefined && renewBefore >= lifetime) {
      const key = s.renewBeforeDays !== undefined ? ["services", i, "renewBeforeDays"] : ["pki", "serviceDefaults", "renewBeforeDays"];
      throw new ConfigError(`${keyPath(key)}: must be less than the certificate's lifetime (${lifetime} days for service ${JSON.stringify(s.name)}), or it would be renewed on every run`);
    }
  });
  const rotation = rotationProblem(parsed.data.rotation, services.map((s) => s.name));
  if (rotation) throw new ConfigError(`${keyPath(rotation[0])}: ${rotation[1]}`);
  const storeProblem = ownStore && secretStoreProblem(ownStore, services.map((s) => s.name));
  if (storeProblem) throw new ConfigError(`${keyPath(storeProblem[0])}: ${storeProblem[1]}`);
  const fail = (path: (string | number)[], message: string): never => {
    throw new ConfigError(`${keyPath(path)}: ${message}`);
  };
  let secretStore: SecretStoreConfig | undefined = ownStore;
  if (edgex) {
    if (!ownStore) fail(["secretStore"], "is required with layout edgex4 (EdgeX services get their tokens and secrets from it)");
    if (parsed.data.gateway) edgexGatewayProblem(parsed.data.gateway, (raw.gateway as { nginx?: Record<string, unknown> } | undefined)?.nginx, services.map((s) => s.name), ownStore!.service, fail);
    const rawStore = (raw.secretStore ?? {}) as Record<string, unknown>;
    const clients = services
      .map((s, index) => ({ name: s.name, index: index < parsed.data.services.length ? index : undefined, rotation: parsed.data.rotation ? serviceRotation(parsed.data.rotation, s.name) : undefined }))
      .filter((s) => s.name !== ownStore!.service);
    secretStore = edgexSecretStore(edgex, ownStore!, rawStore, clients, fail);
  }
  if (pki.ca.source === "import" && !pki.ca.importDir) throw new ConfigError(`${keyPath(["pki", "ca", "importDir"])}: is required when pki.ca.source is "import"`);
  const caProblem = nodeCaProblem(pki.ca);
  if (caProblem) throw new ConfigError(`${keyPath(["pki", "ca", ...caProblem[0]])}: ${caProblem[1]}`);

  // Database passwords come from the secret store: every service but the store's own has credentials there.
  if (databases && !secretStore) throw new ConfigError(`${keyPath(["databases"])}: needs secretStore (the database passwords are generated and kept there)`);
  const databasesConfig =
    databases &&
    resolveDatabases(databases, services.map((s) => s.name).filter((n) => n !== secretStore?.service), (path, message) => {
      throw new ConfigError(`${keyPath(["databases", ...path])}: ${message}`);
    });

  const node: NodeConfig = {
    layout,
    secretsRoot,
    ca: pki.ca,
    ...(databasesConfig ? { databases: databasesConfig } : {}),
    services: services.map((s) => {
      const includeLocalhost = s.includeLocalhost ?? pki.serviceDefaults.includeLocalhost;
      const sans = [...(s.hostnames ?? [s.name]), ...(includeLocalhost ? ["localhost", "127.0.0.1"] : []), ...s.extraSans];
      const unique = [...new Set(sans)];
      return {
        name: s.name,
        dnsNames: unique.filter((v) => isIP(v) === 0),
        ipAddresses: unique.filter((v) => isIP(v) !== 0),
        keyType: s.keyType ?? pki.serviceDefaults.keyType,
        lifetimeDays: s.lifetimeDays ?? pki.serviceDefaults.lifetimeDays,
        ...((s.renewBeforeDays ?? pki.serviceDefaults.renewBeforeDays) === undefined ? {} : { renewBeforeDays: s.renewBeforeDays ?? pki.serviceDefaults.renewBeforeDays }),
        owner: { ...pki.serviceDefaults.owner, ...s.owner },
        ...(parsed.data.rotation ? { rotation: serviceRotation(parsed.data.rotation, s.name) } : {}),
      };
    }),
    secretStore,
    ...(databasesConfig ? { databases: databasesConfig } : {}),
  };
  const gateway = parsed.data.gateway && resolveGateway(parsed.data.gateway, node.services.map((s) => s.name), secretStore !== undefined, parsed.data.secretStore?.gatewayService, fail);
  if (gateway?.nginx?.check === "introspect" && layout !== "edgex4") fail(["gateway", "nginx", "check"], `"introspect" needs layout edgex4 (there the gateway service's store token may introspect); use "local"`);
  const withGateway = gateway ? { ...node, gateway } : node;
  const store = configStore && resolveConfigStore(configStore, node.services, fail);
  const layoutStore = store && layout === "eii3" ? eii3ConfigStore(store, node.services.map((s) => s.name), fail) : store;
  const withConfigStore = configStore ? { ...withGateway, configStore: layoutStore } : withGateway;
  const containers = parsed.data.containers && resolveContainers(parsed.data.containers, node.services.map((s) => s.name), fail);
  const withContainers = containers ? { ...withConfigStore, containers } : withConfigStore;
  const bus = parsed.data.messageBus && resolveMessageBus(parsed.data.messageBus, node.services, fail);
  if (bus && layout !== "edgex4") fail(["messageBus"], "is used with layout edgex4 only for now (its users are the store's message-bus secret)");
  return bus ? { ...withContainers, ...edgexMessageBus(bus, secretStore!, fail) } : withContainers;
}
