/**
 * A caller connected to the frontend, known from its first valid message until it is forgotten:
 * silent for the liveness window with nothing held for it (see `holding`), or unreachable.
 */
export class ClientPeer {
  alive = true;
  /** Its requests the broker holds (queued or at a worker) that have not had their final reply. */
  held = 0;
  /** The latest deadline of the requests held since none was (monotonic ms); 0 when none is held. */
  holdUntil = 0;

  constructor(
    readonly routingId: Buffer,
    /** The routing id as a map key. */
    readonly key: string,
    public lastSeen: number,
  ) {}

  /**
   * Calls still owed an answer keep a caller known however silent it is: a caller need not PING
   * while it waits. Once their deadlines pass the caller has given up on them itself.
   */
  holding(now: number): boolean {
    return this.held > 0 && now < this.holdUntil;
  }

  hold(deadline: number): void {
    this.held += 1;
    if (deadline > this.holdUntil) this.holdUntil = deadline;
  }

  release(): void {
    this.held -= 1;
    if (this.held === 0) this.holdUntil = 0;
  }
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
