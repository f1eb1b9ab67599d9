import { Topology, TopologyNode } from '@live-im/contracts';
import { Publisher, Router } from 'zeromq';
import { BroadcastCommand, TOPOLOGY_TOPIC } from '../protocol/commands';
import { nmMessage, readBcastHeader } from '../protocol/frames';

export interface ManagerMessage {
  peer: Buffer;
  command: BroadcastCommand;
  body: Record<string, unknown>;
}

/**
 * A node manager played step by step: a ROUTER that records what members send and answers as
 * the test scripts, and a PUB for topologies. It can be closed and bound again on the same
 * endpoints, as a restarted manager.
 */
export class ScriptedManager {
  routerEndpoint = '';
  pubEndpoint = '';
  /** Answer REGISTER with REGISTERED carrying `topology`. */
  autoRegister = true;
  topology: Topology = { version: 1, updatedAt: 0, nodes: [] };
  private router: Router | undefined;
  private pub: Publisher | undefined;
  private inbox: ManagerMessage[] = [];
  private waiter: (() => void) | undefined;

  static async start(): Promise<ScriptedManager> {
    const manager = new ScriptedManager();
    await manager.bind('tcp://127.0.0.1:0', 'tcp://127.0.0.1:0');
    return manager;
  }

  /** Binds again where it was (a restart); retries while the port is being released. */
  async restart(): Promise<void> {
    this.inbox = [];
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.bind(this.routerEndpoint, this.pubEndpoint);
        return;
      } catch (error) {
        this.stop();
        if (attempt > 50) throw error;
        // Kept: a retry interval while the OS releases the port (no event tells when it is free).
        await delay(20);
      }
    }
  }

  async next(command: BroadcastCommand, timeoutMs = 3000): Promise<ManagerMessage> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const at = this.inbox.findIndex((m) => m.command === command);
      if (at !== -1) return this.inbox.splice(at, 1)[0];
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no message 0x${command.toString(16)} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Removes and returns the messages of this command received so far. */
  take(command: BroadcastCommand): ManagerMessage[] {
    const taken = this.inbox.filter((m) => m.command === command);
    this.inbox = this.inbox.filter((m) => m.command !== command);
    return taken;
  }

  async reply(peer: Buffer, command: BroadcastCommand, body: unknown): Promise<void> {
    await this.router?.send([peer, ...nmMessage(command, body)]);
  }

  async replyRaw(peer: Buffer, frames: Buffer[]): Promise<void> {
    await this.router?.send([peer, ...frames]);
  }

  async publish(topology: Topology = this.topology): Promise<void> {
    await this.pub?.send([TOPOLOGY_TOPIC, Buffer.from(JSON.stringify(topology))]);
  }

  async publishRaw(frames: Buffer[]): Promise<void> {
    await this.pub?.send(frames);
  }

  /** Sets the topology, and publishes it until `seen` holds (a PUB drops what it sends before a SUB joins). */
  async announce(topology: Topology, seen: () => boolean): Promise<void> {
    this.topology = topology;
    await eventually(() => {
      if (!seen()) void this.publish(topology);
      return seen();
    });
  }

  stop(): void {
    this.router?.close();
    this.pub?.close();
    this.router = undefined;
    this.pub = undefined;
  }

  private async bind(routerAddress: string, pubAddress: string): Promise<void> {
    this.router = new Router({ linger: 0 });
    this.pub = new Publisher({ linger: 0 });
    await this.router.bind(routerAddress);
    await this.pub.bind(pubAddress);
    this.routerEndpoint = this.router.lastEndpoint ?? routerAddress;
    this.pubEndpoint = this.pub.lastEndpoint ?? pubAddress;
    void this.read(this.router);
  }

  private async read(router: Router): Promise<void> {
    try {
      for await (const [peer, head, body] of router) {
        if (!peer || !head || !body) continue;
        const command = readBcastHeader(head);
        const message = { peer, command, body: JSON.parse(body.toString()) as Record<string, unknown> };
        this.inbox.push(message);
        if (command === BroadcastCommand.REGISTER && this.autoRegister) {
          await this.reply(peer, BroadcastCommand.REGISTERED, { topology: this.topology });
        }
        const wake = this.waiter;
        this.waiter = undefined;
        wake?.();
      }
    } catch {
      // Closed by stop().
    }
  }
}

export function broadcastNode(
  id: string,
  state: TopologyNode['state'],
  pull: string | null,
  pub: string,
): TopologyNode {
  return { id, kind: 'broadcast', region: 'home', state, pull, pub };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until the condition holds, or fails after timeoutMs. */
export async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await delay(5);
  }
}
