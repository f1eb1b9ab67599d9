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
});
