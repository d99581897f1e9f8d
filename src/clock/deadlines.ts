import type { Clock } from "./clock.ts";

interface Attempt {
  at: number;
  controller: AbortController;
  reject: (reason: unknown) => void;
  settled: boolean;
}

/**
 * The one deadline primitive: every call that must end in time (a service's attempts, a
 * health probe, an alert's delivery) runs through one of these, on the injected clock.
 *
 * The deadlines of one service's attempts on a single timer. Every attempt of a service has the
 * same timeout, so deadlines come in the order attempts start: the timer is armed for the
 * oldest attempt still running, and when it fires it ends every attempt that is due and arms
 * itself for the next. A finished attempt costs no timer operation at all (instead of a
 * setTimeout and a clearTimeout per call). Dispose it to clear the timer.
 */
export class Deadlines implements Disposable {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #timeout: () => Error;
  #attempts: Attempt[] = [];
  #head = 0;
  #timer?: AbortController;

  constructor(clock: Clock, timeoutMs: number, timeout: () => Error) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#timeout = timeout;
  }

  /**
   * Runs `fn` with a signal that aborts at the deadline (with the timeout error) or when
   * `signal` aborts (with its reason); the result rejects at that moment, without waiting for
   * an `fn` that ignores its signal.
   */
  run<T>(fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      const attempt: Attempt = {
        at: this.#clock.now() + this.#timeoutMs,
        controller,
        reject,
        settled: false,
      };
      // A caller's signal (shutdown) ends the attempt too; most calls bring none.
      const onAbort = signal &&
        (() => {
          if (attempt.settled) return;
          this.#settle(attempt);
          controller.abort(signal.reason);
          reject(signal.reason);
        });
      if (onAbort) signal.addEventListener("abort", onAbort, { once: true });
      const done = () => {
        if (attempt.settled) return false;
        this.#settle(attempt);
        if (onAbort) signal!.removeEventListener("abort", onAbort);
        return true;
      };
      this.#attempts.push(attempt);
      if (!this.#timer) this.#arm(attempt.at);
      let pending: Promise<T>;
      try {
        pending = fn(controller.signal);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => done() && resolve(value),
        (error) => done() && reject(error),
      );
    });
  }

  [Symbol.dispose](): void {
    this.#timer?.abort();
    this.#timer = undefined;
  }

  #settle(attempt: Attempt): void {
    attempt.settled = true;
    const attempts = this.#attempts;
    while (this.#head < attempts.length && attempts[this.#head].settled) this.#head++;
    // Drop what is behind the head now and then, not on every call (emptying the list after
    // each attempt would cost it a new backing store on the next).
    if (this.#head === attempts.length && this.#head >= 1024) {
      attempts.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > attempts.length) {
      this.#attempts = attempts.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(at: number): void {
    const timer = new AbortController();
    this.#timer = timer;
    this.#clock.sleep(Math.max(0, at - this.#clock.now()), timer.signal).then(
      () => this.#fire(timer),
      () => {},
    );
  }

  #fire(timer: AbortController): void {
    if (this.#timer !== timer) return;
    this.#timer = undefined;
    const now = this.#clock.now();
    const attempts = this.#attempts;
    for (let i = this.#head; i < attempts.length; i++) {
      const attempt = attempts[i];
      if (attempt.settled) continue;
      if (attempt.at > now) {
        this.#arm(attempt.at);
        return;
      }
      const error = this.#timeout();
      this.#settle(attempt);
      attempt.controller.abort(error);
      attempt.reject(error);
    }
  }
}
