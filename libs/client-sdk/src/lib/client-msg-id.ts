interface CryptoLike {
  randomUUID?: () => string;
  getRandomValues?: <T extends Uint8Array>(array: T) => T;
}

let counter = 0;

/**
 * A fresh clientMsgId: the server deduplicates sends by it, so a retried send reuses its id and
 * is never published twice. crypto.randomUUID where the platform has it (secure contexts); else
 * random bytes; else time, a counter and Math.random, still unique within one client.
 */
export function newClientMsgId(): string {
  const crypto = (globalThis as { crypto?: CryptoLike }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  counter = (counter + 1) % 1_000_000;
  if (typeof crypto?.getRandomValues === 'function') {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return `c-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}-${counter}`;
  }
  const random = Math.random().toString(36).slice(2, 12);
  return `c-${Date.now().toString(36)}-${random}-${counter}`;
}
