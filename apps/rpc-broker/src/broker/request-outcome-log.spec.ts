import { ErrorCode } from '@live-im/contracts';
import { addClient, addWorker, type Harness, RecordingOutbox, request } from './__tests__/helpers';
import { type BrokerLogger, DEFAULT_LIMITS, type DispatchLimits } from './broker-options';
import { Dispatcher } from './dispatcher';
import { OUTCOME_LINES_PER_SECOND } from './request-outcome-log';

interface Line {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

class RecordingLogger implements BrokerLogger {
  readonly lines: Line[] = [];
  constructor(private readonly debugEnabled: boolean) {}
  debug(fields: object, message: string): void {
    this.lines.push({ level: 'debug', fields: fields as Record<string, unknown>, message });
  }
  info(fields: object, message: string): void {
    this.lines.push({ level: 'info', fields: fields as Record<string, unknown>, message });
  }
  warn(fields: object, message: string): void {
    this.lines.push({ level: 'warn', fields: fields as Record<string, unknown>, message });
  }
  error(fields: object, message: string): void {
    this.lines.push({ level: 'error', fields: fields as Record<string, unknown>, message });
  }
  isLevelEnabled(): boolean {
    return this.debugEnabled;
  }
  about(reqId: string): Line[] {
    return this.lines.filter((line) => line.fields['reqId'] === reqId);
  }
}

function harness(log: BrokerLogger, limits: Partial<DispatchLimits> = {}): Harness {
  const frontend = new RecordingOutbox();
  const backend = new RecordingOutbox();
  const dispatcher = new Dispatcher({ ...DEFAULT_LIMITS, ...limits }, frontend, backend, {}, log);
  return { dispatcher, frontend, backend };
}

describe('broker request log lines', () => {
  it('names a dispatched request by reqId and pattern at debug, only when debug is on', () => {
    const on = new RecordingLogger(true);
    const h = harness(on);
    addWorker(h, 'w1', 4);
    request(h, addClient(h, 'c1'), { id: 1, traceId: 'trace-1', pattern: 'user.login' });
    expect(on.about('trace-1')).toEqual([
      {
        level: 'debug',
        fields: { reqId: 'trace-1', pattern: 'user.login', worker: 'w1', attempt: 1 },
        message: 'request dispatched',
      },
    ]);

    const off = new RecordingLogger(false);
    const quiet = harness(off);
    addWorker(quiet, 'w1', 4);
    request(quiet, addClient(quiet, 'c1'), { id: 1, traceId: 'trace-2' });
    expect(off.about('trace-2')).toEqual([]);
  });

  it('writes OVERLOADED, DEADLINE_EXCEEDED and WORKER_LOST with the reqId', () => {
    const log = new RecordingLogger(false);
    const h = harness(log, { maxQueue: 1 });
    const client = addClient(h, 'c1');
    request(h, client, { id: 1, traceId: 'queued' });
    request(h, client, { id: 2, traceId: 'refused' });
    request(h, client, { id: 3, traceId: 'late', timeoutMs: 0 });
    expect(log.about('refused')[0]).toMatchObject({
      level: 'warn',
      message: `request refused: ${ErrorCode.OVERLOADED}`,
    });
    expect(log.about('late')[0]).toMatchObject({
      level: 'info',
      message: expect.stringContaining(ErrorCode.DEADLINE_EXCEEDED),
    });

    const worker = addWorker(h, 'w1', 4);
    h.dispatcher.removeWorker(worker, 'disconnected', 10);
    expect(log.about('queued')[0]).toMatchObject({
      level: 'warn',
      message: `request failed: ${ErrorCode.WORKER_LOST}`,
    });
  });

  it('writes at most its per-second budget of outcome lines and says how many it skipped', () => {
    const log = new RecordingLogger(false);
    const h = harness(log, { maxQueue: 0 });
    const client = addClient(h, 'c1');
    for (let id = 1; id <= OUTCOME_LINES_PER_SECOND + 30; id += 1)
      request(h, client, { id, traceId: `t${id}` }, 0);
    expect(log.lines).toHaveLength(OUTCOME_LINES_PER_SECOND);
    request(h, client, { id: 1000, traceId: 'next-second' }, 1000);
    expect(log.lines[OUTCOME_LINES_PER_SECOND]).toMatchObject({ fields: { skipped: 30 } });
    expect(log.about('next-second')).toHaveLength(1);
  });
});
