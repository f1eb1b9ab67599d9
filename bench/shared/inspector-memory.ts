import WebSocket from 'ws';

/** process.memoryUsage() of a server process, read through its inspector (--inspect). */
export interface MemoryReading {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** What memoryAfterGc reports, in KB. */
export interface MemoryAfterGc {
  rssKb: number;
  heapUsedKb: number;
}

export function inspectFlag(port: number): string {
  return `--inspect=127.0.0.1:${port}`;
}

/**
 * A DevTools protocol session with a process started with `--inspect=127.0.0.1:<port>`: forces a
 * full GC (HeapProfiler.collectGarbage) and reads process.memoryUsage() inside it, so the gateway
 * and a baseline are measured the same way without either carrying bench code.
 */
export class InspectorMemory {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (result: unknown) => void; reject: (e: Error) => void }
  >();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown; error?: unknown };
      if (message.id === undefined) return;
      const call = this.pending.get(message.id);
      if (call === undefined) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) call.reject(new Error(`inspector: ${JSON.stringify(message.error)}`));
      else call.resolve(message.result);
    });
  }

  static async connect(port: number): Promise<InspectorMemory> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
      webSocketDebuggerUrl: string;
    }>;
    const url = targets[0]?.webSocketDebuggerUrl;
    if (url === undefined) throw new Error(`no inspector target on port ${port}`);
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new InspectorMemory(socket);
  }

  private call(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async collectGarbage(): Promise<void> {
    // Twice: what the first collection frees can hold more (weak maps, finalizers).
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
  }

  async memory(): Promise<MemoryReading> {
    const result = (await this.call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } };
    return JSON.parse(result.result.value) as MemoryReading;
  }

  /**
   * Committed bytes of each V8 heap space (v8.getHeapSpaceStatistics): where RSS beyond the live
   * heap goes, e.g. a young generation grown by a high allocation rate (diagnosis).
   */
  async heapSpaces(): Promise<Record<string, number>> {
    const result = (await this.call('Runtime.evaluate', {
      expression:
        "JSON.stringify(Object.fromEntries(process.mainModule.require('v8').getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size])))",
      returnByValue: true,
    })) as { result: { value: string } };
    return JSON.parse(result.result.value) as Record<string, number>;
  }

  /** Writes a heap snapshot of the process to `path` (diagnosis: what the per-connection bytes are). */
  async writeHeapSnapshot(path: string): Promise<void> {
    await this.call('Runtime.evaluate', {
      expression: `process.mainModule.require('v8').writeHeapSnapshot(${JSON.stringify(path)})`,
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Memory of a process after a full garbage collection, in one inspector session. */
export async function memoryAfterGc(inspectPort: number): Promise<MemoryAfterGc> {
  const inspector = await InspectorMemory.connect(inspectPort);
  try {
    await inspector.collectGarbage();
    const usage = await inspector.memory();
    return { rssKb: Math.round(usage.rss / 1024), heapUsedKb: Math.round(usage.heapUsed / 1024) };
  } finally {
    inspector.close();
  }
}
