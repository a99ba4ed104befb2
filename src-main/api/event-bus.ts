// Typed events from the service to every connected renderer; transports subscribe and forward.
import type { EventName, MaskLoopEvents } from './contract.js';

export type EventListener = (event: EventName, payload: unknown) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, payload: MaskLoopEvents[E]): void {
    for (const listener of this.listeners) listener(event, payload);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
