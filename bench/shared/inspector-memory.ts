import WebSocket from 'ws';

/**
 * Memory of a Node process after a full garbage collection, asked through its inspector (the
 * process runs with `--inspect=127.0.0.1:<port>`): HeapProfiler.collectGarbage, then
 * process.memoryUsage() evaluated inside it. No code in the measured app, the gateway or a
 * baseline alike.
 */
export interface MemoryAfterGc {
  rssKb: number;
  heapUsedKb: number;
}

export function inspectFlag(port: number): string {
  return `--inspect=127.0.0.1:${port}`;
}

export async function memoryAfterGc(inspectPort: number): Promise<MemoryAfterGc> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string;
  }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error(`no inspector target on port ${inspectPort}`);
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let nextId = 1;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      const onMessage = (data: Buffer) => {
        const answer = JSON.parse(data.toString('utf8')) as {
          id?: number;
          result?: unknown;
          error?: unknown;
        };
        if (answer.id !== id) return;
        ws.off('message', onMessage);
        if (answer.error !== undefined) reject(new Error(`${method}: ${JSON.stringify(answer.error)}`));
        else resolve(answer.result);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    // Twice: what the first collection frees can hold more (weak maps, finalizers).
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const result = (await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } };
    const usage = JSON.parse(result.result.value) as { rss: number; heapUsed: number };
    return { rssKb: Math.round(usage.rss / 1024), heapUsedKb: Math.round(usage.heapUsed / 1024) };
  } finally {
    ws.close();
  }
}
