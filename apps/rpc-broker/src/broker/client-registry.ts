/** A caller connected to the frontend, known from its first valid message until it falls silent. */
export class ClientPeer {
  alive = true;

  constructor(
    readonly routingId: Buffer,
    /** The routing id as a map key. */
    readonly key: string,
    public lastSeen: number,
  ) {}
}

/** Live clients by routing id. Any valid message creates or refreshes one. */
export class ClientRegistry {
  private readonly byKey = new Map<string, ClientPeer>();

  get size(): number {
    return this.byKey.size;
  }

  touch(routingId: Buffer, key: string, now: number): ClientPeer {
    let client = this.byKey.get(key);
    if (client) {
      client.lastSeen = now;
    } else {
      client = new ClientPeer(routingId, key, now);
      this.byKey.set(key, client);
    }
    return client;
  }

  get(key: string): ClientPeer | undefined {
    return this.byKey.get(key);
  }

  remove(client: ClientPeer): boolean {
    if (this.byKey.get(client.key) !== client) return false;
    this.byKey.delete(client.key);
    client.alive = false;
    return true;
  }

  all(): IterableIterator<ClientPeer> {
    return this.byKey.values();
  }
}
