import { Command } from '../protocol/command';
import { expandPairs, header, unpackPairs } from '../protocol/frames';
import { FrameSink, OutboundQueue } from './outbound-queue';

/** A sink whose sends complete only when the test says so, like a busy zeromq socket. */
class GatedSink implements FrameSink {
  /** Messages as the receiver sees them once it has expanded a batch frame. */
  readonly sent: Buffer[][] = [];
  /** Messages exactly as written to the socket. */
  readonly wire: Buffer[][] = [];
  private gates: Array<() => void> = [];
  gated = false;

  send(frames: Buffer[]): Promise<void> {
    this.wire.push(frames);
    this.sent.push(expandBatch(frames));
    if (!this.gated) return Promise.resolve();
    return new Promise((resolve) => this.gates.push(resolve));
  }

  open(): void {
    this.gated = false;
    for (const release of this.gates.splice(0)) release();
  }
}

function expandBatch(frames: Buffer[]): Buffer[] {
  const at = frames.findIndex((f) => f.equals(header(Command.REQUEST)) || f.equals(header(Command.REPLY)));
  return at === -1 ? frames : expandPairs(frames, at);
}

const b = (s: string): Buffer => Buffer.from(s);
const text = (frames: Buffer[]): string[] => frames.map((f) => f.toString('latin1'));

describe('OutboundQueue', () => {
  it('coalesces pairs for the same peer within one turn into one message', async () => {
    const sink = new GatedSink();
    const queue = new OutboundQueue(sink);
    queue.pushPair(null, Command.REQUEST, b('m1'), b('b1'));
    queue.pushPair(null, Command.REQUEST, b('m2'), b('b2'));
    queue.pushPair(null, Command.REQUEST, b('m3'), b('b3'));
    await queue.whenIdle();
    expect(sink.sent).toHaveLength(1);
    expect(sink.sent[0]).toEqual([
      header(Command.REQUEST),
      b('m1'),
      b('b1'),
      b('m2'),
      b('b2'),
      b('m3'),
      b('b3'),
    ]);
  });

  it('writes a REQUEST as the header and one batch frame of length-prefixed records', async () => {
    const sink = new GatedSink();
    const queue = new OutboundQueue(sink);
    queue.pushPair(b('peer'), Command.REQUEST, b('meta'), b(''));
    await queue.whenIdle();
    const [peer, head, batch, ...rest] = sink.wire[0];
    expect([peer, head, rest]).toEqual([b('peer'), header(Command.REQUEST), []]);
    expect(batch).toEqual(Buffer.from([4, 0, 0, 0, ...b('meta'), 0, 0, 0, 0]));
    expect(unpackPairs(batch)).toEqual([b('meta'), b('')]);
  });

  it('keeps per-peer order: a control message closes the open batch', async () => {
    const sink = new GatedSink();
    const queue = new OutboundQueue(sink);
    const peer = b('peer-A');
    queue.pushPair(peer, Command.REPLY, b('m1'), b('b1'));
    queue.pushMessage(peer, Command.PONG);
    queue.pushPair(peer, Command.REPLY, b('m2'), b('b2'));
    await queue.whenIdle();
    expect(sink.sent.map(text)).toEqual([
      ['peer-A', '\x01\x02', 'm1', 'b1'],
      ['peer-A', '\x01\x04'],
      ['peer-A', '\x01\x02', 'm2', 'b2'],
    ]);
  });

  it('batches per destination and while a send is pending', async () => {
    const sink = new GatedSink();
    sink.gated = true;
    const queue = new OutboundQueue(sink);
    queue.pushPair(b('A'), Command.REPLY, b('a1'), b('x'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.sent).toHaveLength(1);
    // The socket is busy: these wait and coalesce by destination.
    queue.pushPair(b('A'), Command.REPLY, b('a2'), b('x'));
    queue.pushPair(b('B'), Command.REPLY, b('b1'), b('x'));
    queue.pushPair(b('A'), Command.REPLY, b('a3'), b('x'));
    sink.open();
    await queue.whenIdle();
    expect(sink.sent.map(text)).toEqual([
      ['A', '\x01\x02', 'a1', 'x'],
      ['A', '\x01\x02', 'a2', 'x', 'a3', 'x'],
      ['B', '\x01\x02', 'b1', 'x'],
    ]);
  });

  it('caps a message by pairs and by bytes', async () => {
    const sink = new GatedSink();
    const queue = new OutboundQueue(sink, { maxPairsPerMessage: 2, maxBytesPerMessage: 1 << 20 });
    for (let i = 0; i < 5; i += 1) queue.pushPair(null, Command.REQUEST, b(`m${i}`), b('x'));
    await queue.whenIdle();
    expect(sink.sent.map((frames) => (frames.length - 1) / 2)).toEqual([2, 2, 1]);

    const bySize = new GatedSink();
    const small = new OutboundQueue(bySize, { maxBytesPerMessage: 10 });
    small.pushPair(null, Command.REQUEST, b('meta'), b('body1'));
    small.pushPair(null, Command.REQUEST, b('meta'), b('body2'));
    await small.whenIdle();
    expect(bySize.sent).toHaveLength(2);
  });

  it('reports refused sends and carries on', async () => {
    const refused: Command[] = [];
    let calls = 0;
    const queue = new OutboundQueue(
      {
        send: () => (++calls === 1 ? Promise.reject(new Error('EAGAIN')) : Promise.resolve()),
      },
      { onSendError: (_dest, command) => refused.push(command) },
    );
    queue.pushMessage(null, Command.PING);
    queue.pushMessage(null, Command.READY, [b('{}')]);
    await queue.whenIdle();
    expect(refused).toEqual([Command.PING]);
    expect(calls).toBe(2);
  });

  describe('eager batches', () => {
    const pairs = (sent: Buffer[]): number => (sent.length - 1) / 2;

    it('leave the moment they fill, in the middle of the burst; the rest leaves at its end', async () => {
      const sink = new GatedSink();
      const queue = new OutboundQueue(sink, { eagerPairs: 3 });
      for (let i = 1; i <= 3; i += 1) queue.pushPair(null, Command.REQUEST, b(`m${i}`), b(`b${i}`));
      // Still inside the burst: the full batch is already on the socket.
      expect(sink.sent).toHaveLength(1);
      expect(text(sink.sent[0])).toEqual([
        text([header(Command.REQUEST)])[0],
        'm1',
        'b1',
        'm2',
        'b2',
        'm3',
        'b3',
      ]);
      for (let i = 4; i <= 8; i += 1) queue.pushPair(null, Command.REQUEST, b(`m${i}`), b(`b${i}`));
      expect(sink.sent.map(pairs)).toEqual([3, 3]);
      await queue.whenIdle();
      expect(sink.sent.map(pairs)).toEqual([3, 3, 2]);
      expect(sink.sent.flatMap((m) => text(m.slice(1))).filter((t) => t.startsWith('m'))).toEqual([
        'm1',
        'm2',
        'm3',
        'm4',
        'm5',
        'm6',
        'm7',
        'm8',
      ]);
    });

    it('never pass what was queued earlier for the same peer', async () => {
      const sink = new GatedSink();
      const queue = new OutboundQueue(sink, { eagerPairs: 2 });
      queue.pushPair(b('A'), Command.REQUEST, b('a1'), b(''));
      queue.pushMessage(b('B'), Command.PING);
      queue.pushPair(b('B'), Command.REQUEST, b('b1'), b(''));
      queue.pushPair(b('B'), Command.REQUEST, b('b2'), b(''));
      // B's PING and full batch leave now, in that order; A's open batch waits for the burst's end.
      expect(sink.wire.map((m) => text([m[0], m[1]]))).toEqual([
        ['B', text([header(Command.PING)])[0]],
        ['B', text([header(Command.REQUEST)])[0]],
      ]);
      queue.pushPair(b('A'), Command.REQUEST, b('a2'), b(''));
      expect(sink.wire).toHaveLength(3);
      expect(text(sink.sent[2].slice(2))).toEqual(['a1', '', 'a2', '']);
      await queue.whenIdle();
      expect(sink.wire).toHaveLength(3);
    });

    it("leave a peer's earlier batch ahead of the control message that closed it", async () => {
      const sink = new GatedSink();
      const queue = new OutboundQueue(sink, { eagerPairs: 2 });
      queue.pushPair(b('A'), Command.REQUEST, b('a1'), b(''));
      queue.pushMessage(b('A'), Command.PING);
      queue.pushPair(b('B'), Command.REQUEST, b('b1'), b(''));
      queue.pushPair(b('B'), Command.REQUEST, b('b2'), b(''));
      expect(sink.wire.map((m) => text([m[0], m[1]]))).toEqual([
        ['A', text([header(Command.REQUEST)])[0]],
        ['A', text([header(Command.PING)])[0]],
        ['B', text([header(Command.REQUEST)])[0]],
      ]);
      await queue.whenIdle();
      expect(sink.wire).toHaveLength(3);
    });

    it('wait behind a send still pending, then leave in order', async () => {
      const sink = new GatedSink();
      sink.gated = true;
      const queue = new OutboundQueue(sink, { eagerPairs: 2 });
      queue.pushMessage(null, Command.PING);
      await Promise.resolve();
      expect(sink.wire).toHaveLength(1); // the PING's send is pending
      for (let i = 1; i <= 4; i += 1) queue.pushPair(null, Command.REQUEST, b(`m${i}`), b(''));
      expect(sink.wire).toHaveLength(1);
      sink.gated = false;
      sink.open();
      await queue.whenIdle();
      expect(sink.sent.slice(1).map((m) => text(m.slice(1)))).toEqual([
        ['m1', '', 'm2', ''],
        ['m3', '', 'm4', ''],
      ]);
    });

    it('report a refused send like any other', async () => {
      const refused: number[] = [];
      const queue = new OutboundQueue(
        { send: () => Promise.reject(new Error('EHOSTUNREACH')) },
        { eagerPairs: 2, onSendError: (_dest, _command, frames) => refused.push(frames.length / 2) },
      );
      queue.pushPair(null, Command.REQUEST, b('m1'), b(''));
      queue.pushPair(null, Command.REQUEST, b('m2'), b(''));
      await queue.whenIdle();
      expect(refused).toEqual([2]);
    });
  });

  describe('held pairs', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('wait for company up to their hold, then leave together', async () => {
      const sink = new GatedSink();
      const queue = new OutboundQueue(sink);
      queue.pushPair(null, Command.REQUEST, b('m1'), b('b1'), 5);
      await jest.advanceTimersByTimeAsync(3);
      queue.pushPair(null, Command.REQUEST, b('m2'), b('b2'), 5);
      expect(sink.sent).toHaveLength(0);
      // The first pair's hold is not extended by the second.
      await jest.advanceTimersByTimeAsync(2);
      expect(sink.sent.map(text)).toEqual([[text([header(Command.REQUEST)])[0], 'm1', 'b1', 'm2', 'b2']]);
    });

    it('leave at once, in order, with the next pair that is not held', async () => {
      const sink = new GatedSink();
      const queue = new OutboundQueue(sink);
      queue.pushPair(null, Command.REQUEST, b('chat'), b('c'), 50);
      queue.pushPair(null, Command.REQUEST, b('gift'), b('g'));
      await jest.advanceTimersByTimeAsync(0);
      expect(sink.sent.map((frames) => text(frames).slice(1))).toEqual([['chat', 'c', 'gift', 'g']]);
      // Nothing is left to flush when the old hold would have ended.
      await jest.advanceTimersByTimeAsync(50);
      expect(sink.sent).toHaveLength(1);
    });

    it('leave by the earliest hold asked for: a shorter one brings a longer one forward', async () => {
      const sink = new GatedSink();
      const queue = new OutboundQueue(sink);
      queue.pushPair(null, Command.REQUEST, b('slow'), b('1'), 300);
      await jest.advanceTimersByTimeAsync(10);
      queue.pushPair(null, Command.REQUEST, b('quick'), b('2'), 5);
      await jest.advanceTimersByTimeAsync(5);
      expect(sink.sent.map((frames) => text(frames).slice(1))).toEqual([['slow', '1', 'quick', '2']]);
      await jest.advanceTimersByTimeAsync(300);
      expect(sink.sent).toHaveLength(1);
    });

    it('can be taken back unsent, with everything else still queued, but not the message being written', async () => {
      const sink = new GatedSink();
      sink.gated = true;
      const queue = new OutboundQueue(sink);
      queue.pushPair(null, Command.REQUEST, b('m1'), b('b1'));
      await jest.advanceTimersByTimeAsync(0);
      expect(sink.wire).toHaveLength(1); // being written, the socket holds it
      queue.pushPair(null, Command.REQUEST, b('m2'), b('b2'), 50);
      queue.pushMessage(null, Command.PING);
      const taken = queue.takeUnsent();
      expect(taken.map((t) => [t.command, text(t.frames)])).toEqual([
        [Command.REQUEST, ['m2', 'b2']],
        [Command.PING, []],
      ]);
      sink.open();
      await queue.whenIdle();
      await jest.advanceTimersByTimeAsync(50);
      expect(sink.wire).toHaveLength(1);
    });

    it('leave at once when they fill an eager batch; the rest still waits for its hold', async () => {
      const sink = new GatedSink();
      const queue = new OutboundQueue(sink, { eagerPairs: 3 });
      for (let i = 1; i <= 4; i += 1) queue.pushPair(null, Command.REQUEST, b(`m${i}`), b(''), 20);
      expect(sink.wire).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(19);
      expect(sink.wire).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(sink.sent.map((m) => text(m.slice(1)).filter((t) => t !== ''))).toEqual([
        ['m1', 'm2', 'm3'],
        ['m4'],
      ]);
    });

    it('leave no timer behind when an eager batch empties the queue', async () => {
      const sink = new GatedSink();
      const queue = new OutboundQueue(sink, { eagerPairs: 2 });
      queue.pushPair(null, Command.REQUEST, b('m1'), b(''), 20);
      queue.pushPair(null, Command.REQUEST, b('m2'), b(''), 20);
      expect(sink.wire).toHaveLength(1);
      expect(jest.getTimerCount()).toBe(0);
      await expect(queue.whenIdle()).resolves.toBeUndefined();
    });

    it('are dropped with the rest on close, leaving no timer behind', async () => {
      const sink = new GatedSink();
      const queue = new OutboundQueue(sink);
      queue.pushPair(null, Command.REQUEST, b('m1'), b('b1'), 20);
      queue.close();
      expect(jest.getTimerCount()).toBe(0);
      await jest.advanceTimersByTimeAsync(20);
      expect(sink.sent).toHaveLength(0);
    });
  });
});
