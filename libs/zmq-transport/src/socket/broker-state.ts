/** A broker became live (answered) or dead (silent for 3 heartbeats, or its connection dropped). */
export interface BrokerState {
  endpoint: string;
  index: number;
  up: boolean;
}

export type BrokerStateListener = (state: BrokerState) => void;

/** Listeners of broker state changes; what the Nest wrappers' `on()` registers into. */
export class BrokerStateListeners {
  private readonly listeners = new Set<BrokerStateListener>();

  add(listener: BrokerStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(state: BrokerState): void {
    for (const listener of this.listeners) listener(state);
  }
}
