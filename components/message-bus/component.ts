// The node's message bus: the MQTT broker's users (password file and ACL in the broker's folder) from
// {username, password} secrets of the secret store. The broker itself runs beside the graph
// (scripts/servers/mosquitto.sh) and starts once its folder's readiness file is written, after these files.
import { join } from "node:path";
import * as pulumi from "../shared/pulumi";
import { BrokerUsers } from "./broker-users";
import { brokerUrl, MessageBusConfig } from "./config";

export const BROKER_FILES = { passwd: "passwd", acl: "acl" } as const;

export interface MessageBusArgs {
  config: MessageBusConfig;
  secretsRoot: string;
  /** Each user's credentials, by the config's secret id (Pulumi secrets). */
  credentials: Record<string, { username: pulumi.Input<string>; password: pulumi.Input<string> }>;
  owner?: { uid?: number; gid?: number };
}

export class MessageBus extends pulumi.ComponentResource {
  /** The resources a service's readiness file waits for (the broker's). */
  readonly serviceResources: Record<string, pulumi.Resource[]> = {};
  readonly url: string;
  readonly users: BrokerUsers;

  constructor(name: string, args: MessageBusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:message-bus:MessageBus", name, {}, opts);
    const { config } = args;
    const folder = join(args.secretsRoot, config.service);
    const users = config.users.map((u) => {
      const credentials = args.credentials[u.secretId];
      if (!credentials) throw new Error(`MessageBus: no credentials for ${u.secretId}`);
      return { username: credentials.username, password: credentials.password, topics: config.topics };
    });
    this.users = new BrokerUsers(
      `${config.service}-broker-users`,
      { passwordFile: join(folder, BROKER_FILES.passwd), aclFile: join(folder, BROKER_FILES.acl), users, pidFile: config.pidFile, uid: args.owner?.uid, gid: args.owner?.gid },
      { parent: this },
    );
    this.serviceResources[config.service] = [this.users];
    this.url = brokerUrl(config);
    this.registerOutputs({ url: this.url });
  }
}
