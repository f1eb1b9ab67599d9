/**
 * Loopback source addresses for the benches' clients. The gateway limits connections and
 * handshakes per client address (MAX_CONNECTIONS_PER_IP, CONNECT_BURST_PER_IP, AUTH_PER_IP_PER_SEC);
 * tens of thousands of viewers from 127.0.0.1 alone would be refused by its shipped defaults, as
 * they would be from one real address. Linux answers on all of 127.0.0.0/8, so a bench spreads its
 * clients over many addresses (each socket binds `localAddress`) and keeps the defaults.
 */

/** Clients per address: well inside the shipped per-address limits (burst 500, 1000 open). */
export const CLIENTS_PER_ADDRESS = 200;

/**
 * The source address of client `index` of `block` (blocks keep viewers, senders and HTTP calls of
 * one run on addresses of their own): 127.<block>.<hi>.<lo>, skipping .0 and .255.
 */
export function loopbackSource(block: number, index: number, perAddress = CLIENTS_PER_ADDRESS): string {
  if (!Number.isInteger(block) || block < 1 || block > 254)
    throw new Error(`block ${block} is not in 1..254`);
  const slot = Math.floor(index / perAddress);
  const hi = Math.floor(slot / 254);
  if (hi > 254) throw new Error(`client ${index} does not fit in 127.${block}.0.0/16`);
  return `127.${block}.${hi + 1}.${(slot % 254) + 1}`;
}
