import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from 'zeromq';
import { Command } from '../protocol/command';
import { header, packPairs, readHeader, unpackPairs } from '../protocol/frames';

export type TestTransport = 'tcp' | 'ipc';

export interface RoutedMessage {
  peer: Buffer;
  command: Command;
  /** Frames after the header. */
  frames: Buffer[];
}

/** A fresh bind address: a random loopback port, or a unique ipc path. */
export function bindAddress(transport: TestTransport): string {
  return transport === 'tcp'
    ? 'tcp://127.0.0.1:0'
    : `ipc://${join(tmpdir(), `zt-${process.pid}-${randomBytes(4).toString('hex')}.sock`)}`;
}

/**
 * A ROUTER that plays the broker in tests, step by step: it records what arrives, answers PING
 * with PONG while `autoPong` is on, and sends whatever the test scripts.
 */
export class ScriptedRouter {
  autoPong = true;
  /** Every PING seen, answered or not. */
  pings = 0;
  private readonly socket = new Router({ linger: 0 });
  private readonly inbox: RoutedMessage[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  /** Where peers connect (the real port when bound to port 0). */
  endpoint = '';

  static async bind(transportOrEndpoint: TestTransport | string): Promise<ScriptedRouter> {
    const address =
      transportOrEndpoint === 'tcp' || transportOrEndpoint === 'ipc'
        ? bindAddress(transportOrEndpoint)
        : transportOrEndpoint;
    const router = new ScriptedRouter();
    await router.socket.bind(address);
    router.endpoint = router.socket.lastEndpoint ?? address;
    void router.read();
    return router;
  }

  /** REQUEST and REPLY pairs are packed into the batch frame, as on the wire. */
  send(peer: Buffer, command: Command, ...frames: Buffer[]): Promise<void> {
    const body = isBatched(command) ? [packPairs(frames)] : frames;
    return this.socket.send([peer, header(command), ...body]);
  }

  /** The next message with this command (earlier ones of other commands stay queued). */
  async next(command: Command, timeoutMs = 3000): Promise<RoutedMessage> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const at = this.inbox.findIndex((m) => m.command === command);
      if (at !== -1) return this.inbox.splice(at, 1)[0];
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no ${command} message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Messages of this command received so far, removed from the inbox. */
  take(command: Command): RoutedMessage[] {
    const taken = this.inbox.filter((m) => m.command === command);
    for (const m of taken) this.inbox.splice(this.inbox.indexOf(m), 1);
    return taken;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private async read(): Promise<void> {
    try {
      for await (const [peer, head, ...frames] of this.socket) {
        if (!peer || !head) continue;
        const command = readHeader(head);
        if (command === Command.PING) {
          this.pings += 1;
          if (this.autoPong) await this.send(peer, Command.PONG);
          continue;
        }
        this.inbox.push({
          peer,
          command,
          frames: isBatched(command) && frames[0] ? unpackPairs(frames[0]) : frames,
        });
        const wake = this.waiter;
        this.waiter = undefined;
        wake?.();
      }
    } catch (error) {
      if (!this.closed) throw error;
    }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until the condition holds (or fails the test after timeoutMs). */
export async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await delay(5);
  }
}

function isBatched(command: Command): boolean {
  return command === Command.REQUEST || command === Command.REPLY;
}
