import type { NodeLogger } from './node-logger';

/** A socket we read whole messages from. */
export interface ReadableSocket extends AsyncIterable<Buffer[]> {
  readonly closed: boolean;
}

/**
 * The one reader of a socket. It never throws: bad input is counted by `handle`, a bug in it is
 * logged and reading goes on; it returns when the socket closes or `running()` turns false.
 */
export async function readLoop(
  socket: ReadableSocket,
  name: string,
  running: () => boolean,
  handle: (frames: Buffer[]) => void,
  log: NodeLogger,
): Promise<void> {
  while (running()) {
    try {
      for await (const frames of socket) {
        try {
          handle(frames);
        } catch (error) {
          log.error({ socket: name, err: error }, 'failed to handle a message');
        }
      }
      return;
    } catch (error) {
      if (!running() || socket.closed) return;
      log.error({ socket: name, err: error }, 'socket receive failed; reading on');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
