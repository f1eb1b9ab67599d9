import type { StructuredLogger } from './transport-logger';

/** A socket read whole messages at a time, as zeromq.js's sockets are. */
export interface MessageSocket extends AsyncIterable<Buffer[]> {
  readonly closed: boolean;
}

/** What went wrong in a read loop, for its owner to log; reading goes on after either. */
export interface ReadFailures {
  /** `handle` threw for one message: a bug in it, not bad input (that `handle` counts itself). */
  handling(error: unknown): void;
  /** A receive failed while the loop was still meant to run. */
  receiving(error: unknown): void;
}

/**
 * The one reader of a ZeroMQ socket. It never throws: a bug in `handle` is reported and the next
 * message is read; a failed receive is reported and reading resumes on the next turn of the event
 * loop. It returns when the socket closes or `running()` turns false.
 */
export async function readLoop(
  socket: MessageSocket,
  running: () => boolean,
  handle: (frames: Buffer[]) => void,
  failures: ReadFailures,
): Promise<void> {
  while (running()) {
    try {
      for await (const frames of socket) {
        try {
          handle(frames);
        } catch (error) {
          failures.handling(error);
        }
      }
      return;
    } catch (error) {
      if (!running() || socket.closed) return;
      failures.receiving(error);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** ReadFailures logged as errors to a structured logger, naming the socket. */
export function logReadFailures(log: StructuredLogger, socket: string): ReadFailures {
  return {
    handling: (error) => log.error({ socket, err: error }, 'failed to handle a message'),
    receiving: (error) => log.error({ socket, err: error }, 'socket receive failed; reading on'),
  };
}
