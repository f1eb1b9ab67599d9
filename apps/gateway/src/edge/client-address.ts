import { isIP } from 'node:net';

/**
 * The address a connection or request comes from, the key of the per-address rate limits. Behind a
 * trusted load balancer (`trustProxy`) it is the first X-Forwarded-For hop; otherwise the peer
 * address, since anyone can write that header.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustProxy: boolean,
): string {
  if (trustProxy && forwardedFor !== undefined) {
    const header = Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor;
    const first = header?.split(',')[0]?.trim();
    if (first !== undefined && isIP(first) !== 0) return normalize(first);
  }
  return remoteAddress === undefined ? 'unknown' : normalize(remoteAddress);
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
