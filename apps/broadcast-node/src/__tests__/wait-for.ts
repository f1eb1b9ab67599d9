/** Polls `check` until it is true or `timeoutMs` passes (then throws, naming `what`). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Receives from `socket` into `into` until it closes. */
export async function collect(socket: AsyncIterable<Buffer[]>, into: Buffer[][]): Promise<void> {
  try {
    for await (const frames of socket) into.push(frames);
  } catch {
    // The socket closed under the loop at the end of a test.
  }
}
