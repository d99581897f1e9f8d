import { getLogger } from "@logtape/logtape";

/** A listener that receives events of type `T`. */
export type Listener<T> = (event: T) => void;

/**
 * A typed event source. A listener that throws never reaches the emitter's caller: the error
 * goes to `onListenerError`, so a bad listener cannot corrupt a state machine mid-transition.
 */
export class Emitter<T> {
  readonly #listeners = new Set<Listener<T>>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = reportListenerError) {
    this.#onListenerError = onListenerError;
  }

  /** Whether anyone listens: lets hot paths skip building events nobody reads. */
  get hasListeners(): boolean {
    return this.#listeners.size > 0;
  }

  /** Subscribes `listener`; dispose the result to unsubscribe. */
  on(listener: Listener<T>): Disposable {
    this.#listeners.add(listener);
    return { [Symbol.dispose]: () => this.#listeners.delete(listener) };
  }

  /** Delivers `event` to every listener. */
  emit(event: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}

const logger = getLogger(["ai-call-agent", "events"]);

function reportListenerError(error: unknown): void {
  logger.error("An event listener threw: {error}", { error });
}
