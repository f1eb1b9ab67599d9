import { ReceiptAcks } from './receipt-acks';
import { message } from './__tests__/messages';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('ReceiptAcks', () => {
  it('acks a requireAck message once, however often it comes', async () => {
    const sent: string[] = [];
    const acks = new ReceiptAcks(async (id) => sent.push(id));
    const wanted = message('important', 1, { requireAck: true });
    acks.delivered(wanted);
    acks.delivered(wanted);
    await flush();
    acks.delivered(wanted);
    expect(sent).toEqual([wanted.id]);
    expect(acks.acked(wanted.id)).toBe(true);
  });

  it('sends no ack for a message that does not ask for one', () => {
    const sent: string[] = [];
    const acks = new ReceiptAcks(async (id) => sent.push(id));
    acks.delivered(message('important', 1));
    acks.delivered(message('important', 2, { requireAck: false }));
    expect(sent).toEqual([]);
  });

  it('acks again on the next delivery after a failed ack', async () => {
    let fail = true;
    const sent: string[] = [];
    const acks = new ReceiptAcks(async (id) => {
      sent.push(id);
      if (fail) throw new Error('connection lost');
    });
    const wanted = message('important', 1, { requireAck: true });
    acks.delivered(wanted);
    await flush();
    expect(acks.acked(wanted.id)).toBe(false);
    fail = false;
    acks.delivered(wanted);
    acks.delivered(wanted);
    await flush();
    expect(sent).toEqual([wanted.id, wanted.id]);
  });

  it('remembers a bounded number of ids', async () => {
    const sent: string[] = [];
    const acks = new ReceiptAcks(async (id) => sent.push(id), 2);
    const [a, b, c] = [1, 2, 3].map((seq) => message('important', seq, { requireAck: true }));
    for (const m of [a, b, c]) acks.delivered(m);
    await flush();
    expect(acks.acked(a.id)).toBe(false);
    expect(acks.acked(c.id)).toBe(true);
  });
});
