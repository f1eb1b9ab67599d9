import { ErrorCode, RpcError } from '@live-im/contracts';
import { type Metric, register, Registry } from 'prom-client';
import { CallKind, PendingCall } from './client/pending-call';
import { JsonCodec } from './protocol/codec';
import { RequestFlag } from './protocol/command';
import {
  MAX_RPC_PATTERNS,
  OTHER_PATTERN,
  registerRpcMetrics,
  rpcClientDuration,
  rpcServerDuration,
  RpcDurationHistogram,
} from './rpc-metrics';
import type { BrokerLink } from './socket/broker-link';
import { monotonicMs } from './socket/clock';
import { InboundRequest, type RequestOwner } from './worker/inbound-request';

/** The value of one sample line of `text`, or undefined when there is none. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

async function scrape(histogram: RpcDurationHistogram): Promise<string> {
  const registry = new Registry();
  registry.registerMetric(histogram as unknown as Metric);
  return registry.metrics();
}

describe('RpcDurationHistogram', () => {
  it('prints cumulative buckets, +Inf, sum and count per pattern and code', async () => {
    const histogram = new RpcDurationHistogram('test_rpc_seconds', 'test help');
    const now = monotonicMs();
    histogram.observe('room.send', 'OK', now - 30);
    histogram.observe('room.send', 'OK', now - 30);
    histogram.observe('room.send', 'MUTED', now - 30);

    const text = await scrape(histogram);
    expect(text).toContain('# HELP test_rpc_seconds test help');
    expect(text).toContain('# TYPE test_rpc_seconds histogram');
    const ok = 'pattern="room.send",code="OK"';
    expect(sample(text, `test_rpc_seconds_bucket{${ok},le="0.025"}`)).toBe(0);
    expect(sample(text, `test_rpc_seconds_bucket{${ok},le="0.05"}`)).toBe(2);
    expect(sample(text, `test_rpc_seconds_bucket{${ok},le="10"}`)).toBe(2);
    expect(sample(text, `test_rpc_seconds_bucket{${ok},le="+Inf"}`)).toBe(2);
    expect(sample(text, `test_rpc_seconds_count{${ok}}`)).toBe(2);
    expect(sample(text, `test_rpc_seconds_sum{${ok}}`)).toBeGreaterThanOrEqual(0.06);
    expect(sample(text, 'test_rpc_seconds_count{pattern="room.send",code="MUTED"}')).toBe(1);
  });

  it('counts a duration above the last bound only in +Inf', async () => {
    const histogram = new RpcDurationHistogram('test_rpc_seconds', 'test help');
    histogram.observe('user.login', 'DEADLINE_EXCEEDED', monotonicMs() - 20_000);
    const text = await scrape(histogram);
    const labels = 'pattern="user.login",code="DEADLINE_EXCEEDED"';
    expect(sample(text, `test_rpc_seconds_bucket{${labels},le="10"}`)).toBe(0);
    expect(sample(text, `test_rpc_seconds_bucket{${labels},le="+Inf"}`)).toBe(1);
  });

  it(`labels at most ${MAX_RPC_PATTERNS} patterns, the rest as "${OTHER_PATTERN}"`, async () => {
    const histogram = new RpcDurationHistogram('test_rpc_seconds', 'test help');
    const now = monotonicMs();
    for (let i = 0; i < MAX_RPC_PATTERNS + 50; i += 1) histogram.observe(`svc.p${i}`, 'OK', now);
    histogram.observe('svc.p0', 'OK', now);

    const { values } = await histogram.get();
    const patterns = new Set(values.map((v) => v.labels['pattern']));
    expect(patterns.size).toBe(MAX_RPC_PATTERNS + 1);
    const text = await scrape(histogram);
    expect(sample(text, `test_rpc_seconds_count{pattern="${OTHER_PATTERN}",code="OK"}`)).toBe(50);
    expect(sample(text, 'test_rpc_seconds_count{pattern="svc.p0",code="OK"}')).toBe(2);
  });

  it('forgets every series on reset', async () => {
    const histogram = new RpcDurationHistogram('test_rpc_seconds', 'test help');
    histogram.observe('room.send', 'OK', monotonicMs());
    histogram.reset();
    expect((await histogram.get()).values).toEqual([]);
  });
});

describe('the RPC metrics of this process', () => {
  const countOf = async (histogram: RpcDurationHistogram, pattern: string, code: string): Promise<number> => {
    const { values } = await histogram.get();
    const found = values.find(
      (v) => v.metricName.endsWith('_count') && v.labels['pattern'] === pattern && v.labels['code'] === code,
    );
    return found?.value ?? 0;
  };

  function pendingCall(kind: CallKind, pattern: string): PendingCall {
    const call = new PendingCall(
      1,
      kind,
      pattern,
      0,
      JsonCodec,
      't',
      Buffer.alloc(0),
      monotonicMs() + 1000,
      -1,
    );
    call.startedAt = monotonicMs();
    return call;
  }

  it('times calls and streams by their outcome, not events', async () => {
    pendingCall(CallKind.CALL, 'spec.call').value({}, true);
    pendingCall(CallKind.CALL, 'spec.call').fail(new RpcError(ErrorCode.NOT_FOUND, 'no'));
    pendingCall(CallKind.STREAM, 'spec.stream').end();
    const notFinal = pendingCall(CallKind.CALL, 'spec.partial');
    notFinal.value({}, false);
    pendingCall(CallKind.EVENT, 'spec.event').fail(new RpcError(ErrorCode.SERVICE_UNAVAILABLE, 'closed'));

    expect(await countOf(rpcClientDuration, 'spec.call', 'OK')).toBe(1);
    expect(await countOf(rpcClientDuration, 'spec.call', 'NOT_FOUND')).toBe(1);
    expect(await countOf(rpcClientDuration, 'spec.stream', 'OK')).toBe(1);
    expect(await countOf(rpcClientDuration, 'spec.partial', 'OK')).toBe(0);
    expect(await countOf(rpcClientDuration, 'spec.event', 'SERVICE_UNAVAILABLE')).toBe(0);
  });

  it('times handled requests from the handler start to the final reply, by code', async () => {
    const link = { index: 0, sendPair: () => undefined } as unknown as BrokerLink;
    const owner: RequestOwner = { replied: () => undefined, unexpected: () => undefined };
    const inbound = (pattern: string, flags = 0): InboundRequest => {
      const request = new InboundRequest(
        owner,
        link,
        1,
        pattern,
        't',
        monotonicMs() + 1000,
        flags,
        JsonCodec,
        Buffer.alloc(0),
      );
      request.startedAt = monotonicMs();
      return request;
    };
    inbound('spec.handled').value({}, true);
    inbound('spec.handled').fail(new RpcError(ErrorCode.MUTED, 'muted'));
    inbound('spec.handled').fail(new Error('a bug'));
    inbound('spec.event', RequestFlag.EVENT).value(undefined, true);
    // Never started (dropped before its handler ran): not timed.
    new InboundRequest(owner, link, 2, 'spec.unstarted', 't', 0, 0, JsonCodec, Buffer.alloc(0)).fail(
      new RpcError(ErrorCode.DEADLINE_EXCEEDED, 'late'),
    );

    expect(await countOf(rpcServerDuration, 'spec.handled', 'OK')).toBe(1);
    expect(await countOf(rpcServerDuration, 'spec.handled', 'MUTED')).toBe(1);
    expect(await countOf(rpcServerDuration, 'spec.handled', 'INTERNAL')).toBe(1);
    expect(await countOf(rpcServerDuration, 'spec.event', 'OK')).toBe(1);
    expect(await countOf(rpcServerDuration, 'spec.unstarted', 'DEADLINE_EXCEEDED')).toBe(0);
  });

  it('serves the histograms and the in-flight gauge from the default registry, registering again after a clear', async () => {
    register.clear();
    registerRpcMetrics();
    registerRpcMetrics();
    const text = await register.metrics();
    expect(text).toContain('# TYPE rpc_client_duration_seconds histogram');
    expect(text).toContain('# TYPE rpc_server_duration_seconds histogram');
    expect(text).toContain('rpc_client_requests_in_flight 0');
  });
});
