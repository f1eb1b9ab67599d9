import { waitFor } from '@live-im/testing';
import { Pull, Push } from 'zeromq';
import { readLoop } from './read-loop';

describe('readLoop', () => {
  it('reads on past a handler that throws, reports it, and returns once the socket closes', async () => {
    const pull = new Pull();
    const push = new Push({ linger: 0 });
    const endpoint = `inproc://read-loop-${process.pid}`;
    await pull.bind(endpoint);
    push.connect(endpoint);
    const read: string[] = [];
    const failed: unknown[] = [];
    let running = true;
    let done = false;
    const loop = readLoop(
      pull,
      () => running,
      ([frame]) => {
        const text = frame.toString();
        if (text === 'bad') throw new Error('a bug in the handler');
        read.push(text);
      },
      { handling: (error) => failed.push(error), receiving: (error) => failed.push(error) },
    ).then(() => (done = true));
    try {
      for (const text of ['one', 'bad', 'two']) await push.send(text);
      await waitFor(() => read.length === 2, { what: 'both good messages read' });
      expect(read).toEqual(['one', 'two']);
      expect(failed).toEqual([new Error('a bug in the handler')]);
      expect(done).toBe(false);
    } finally {
      running = false;
      push.close();
      pull.close();
    }
    await loop;
    expect(done).toBe(true);
  });

  it('with settleBetweenMessages, lets the promise chains of one message run before reading the next', async () => {
    // Both messages wait in the socket before the loop starts: without settling, the second would
    // be read one microtask after the first was handled, before the first's chains ended.
    const events = await handleTwoQueuedMessages(true);
    expect(events).toEqual(['start one', 'answer one', 'start two', 'answer two']);
  });

  it("without it, reads a waiting message before the previous one's promise chains end", async () => {
    const events = await handleTwoQueuedMessages(false);
    expect(events.indexOf('start two')).toBeLessThan(events.indexOf('answer one'));
  });
});

/** Handles two messages queued before reading starts; each answers after a chain of promises. */
async function handleTwoQueuedMessages(settleBetweenMessages: boolean): Promise<string[]> {
  const pull = new Pull();
  const push = new Push({ linger: 0 });
  const endpoint = `inproc://read-loop-settle-${process.pid}-${String(settleBetweenMessages)}`;
  await pull.bind(endpoint);
  push.connect(endpoint);
  const events: string[] = [];
  let running = true;
  try {
    await push.send('one');
    await push.send('two');
    const loop = readLoop(
      pull,
      () => running,
      ([frame]) => {
        const text = frame.toString();
        events.push(`start ${text}`);
        // A handler's answer several microtasks deep, as a Nest handler's is.
        void Promise.resolve()
          .then(() => undefined)
          .then(() => undefined)
          .then(() => undefined)
          .then(() => events.push(`answer ${text}`));
      },
      { handling: () => undefined, receiving: () => undefined },
      { settleBetweenMessages },
    );
    await waitFor(() => events.length === 4, { what: 'both messages answered' });
    running = false;
    pull.close();
    await loop;
    return events;
  } finally {
    running = false;
    push.close();
    pull.close();
  }
}
