/**
 * The typed event bus (STYLE.md §3). Features meet only here: the resync engine, the vault
 * and the prompt broker emit; the event log, the MQTT reporter and the display feed listen.
 * Listeners run synchronously in registration order; one that throws is reported through
 * `onListenerError` and does not stop the others.
 */
export type Listener<A extends unknown[]> = (...args: A) => void;

export class TypedBus<M extends { [K in keyof M]: unknown[] }> {
  private readonly listeners = new Map<keyof M, Set<unknown>>();
  private readonly onListenerError: (error: unknown, name: keyof M) => void;

  constructor(onListenerError: (error: unknown, name: keyof M) => void = () => undefined) {
    this.onListenerError = onListenerError;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener);
    this.listeners.set(name, set);
    return () => {
      set.delete(listener);
    };
  }

  emit<K extends keyof M>(name: K, ...args: M[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<M[K]>)(...args);
      } catch (error) {
        this.onListenerError(error, name);
      }
    }
  }
}

export * from './events.js';
import type { DaemonEvents } from './events.js';

/** The daemon's one bus. */
export type DaemonBus = TypedBus<DaemonEvents>;
