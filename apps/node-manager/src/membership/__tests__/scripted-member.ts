import { bcastHeader, BroadcastCommand, readBcastHeader, TOPOLOGY_TOPIC } from '@live-im/broadcast';
import { Topology } from '@live-im/contracts';
import { Dealer, Subscriber } from 'zeromq';
import { NodeManager, type NodeManagerOptions } from '../node-manager';

/** A node manager on free loopback ports. */
export async function startManager(options: Partial<NodeManagerOptions> = {}): Promise<NodeManager> {
  const manager = new NodeManager({
    routerBind: 'tcp://127.0.0.1:0',
    pubBind: 'tcp://127.0.0.1:0',
    managerId: 'test-manager',
    ...options,
  });
  await manager.start();
  return manager;
}

export interface NmMessage {
  command: BroadcastCommand;
  body: unknown;
}

/** A DEALER speaking raw NM/1 frames, as a member written from the protocol doc would. */
export class ScriptedMember {
  readonly socket = new Dealer({ linger: 0, receiveTimeout: 2000 });

  constructor(endpoint: string) {
    this.socket.connect(endpoint);
  }

  send(command: BroadcastCommand, body: unknown): Promise<void> {
    return this.socket.send([bcastHeader(command), Buffer.from(JSON.stringify(body))]);
  }

  sendRaw(frames: Buffer[]): Promise<void> {
    return this.socket.send(frames);
  }

  async receive(): Promise<NmMessage> {
    const [head, body] = await this.socket.receive();
    return { command: readBcastHeader(head), body: JSON.parse(body.toString()) };
  }

  /** Sends and waits for the reply, which must carry `expected`. */
  async ask(command: BroadcastCommand, body: unknown, expected: BroadcastCommand): Promise<unknown> {
    await this.send(command, body);
    const reply = await this.receive();
    if (reply.command !== expected) throw new Error(`expected command ${expected}, got ${reply.command}`);
    return reply.body;
  }

  async register(body: object): Promise<Topology> {
    const reply = await this.ask(BroadcastCommand.REGISTER, body, BroadcastCommand.REGISTERED);
    return Topology.parse((reply as { topology: unknown }).topology);
  }

  close(): void {
    this.socket.close();
  }
}

/** A SUB on the manager's topology topic. */
export class TopologyWatcher {
  readonly socket = new Subscriber({ linger: 0, receiveTimeout: 3000 });

  constructor(endpoint: string) {
    this.socket.connect(endpoint);
    this.socket.subscribe(TOPOLOGY_TOPIC);
  }

  /** Reads topologies until one satisfies `accept`. */
  async until(accept: (topology: Topology) => boolean): Promise<Topology> {
    for (;;) {
      const [topic, json] = await this.socket.receive();
      if (!topic.equals(TOPOLOGY_TOPIC)) throw new Error(`unexpected topic ${topic.toString()}`);
      const topology = Topology.parse(JSON.parse(json.toString()));
      if (accept(topology)) return topology;
    }
  }

  close(): void {
    this.socket.close();
  }
}
