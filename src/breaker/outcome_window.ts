/**
 * The last `size` call outcomes in a ring buffer, for the failure-rate mode: constant memory,
 * constant time per record.
 */
export class OutcomeWindow {
  readonly #outcomes: Uint8Array;
  #next = 0;
  #count = 0;
  #failures = 0;

  constructor(readonly size: number) {
    this.#outcomes = new Uint8Array(size);
  }

  /** Records one outcome, pushing out the oldest once the window is full. */
  record(failed: boolean): void {
    if (this.#count === this.size) this.#failures -= this.#outcomes[this.#next];
    else this.#count++;
    const value = failed ? 1 : 0;
    this.#outcomes[this.#next] = value;
    this.#failures += value;
    this.#next = (this.#next + 1) % this.size;
  }

  /** Outcomes held (at most `size`). */
  get calls(): number {
    return this.#count;
  }

  /** Failures among the outcomes held. */
  get failures(): number {
    return this.#failures;
  }

  clear(): void {
    this.#next = 0;
    this.#count = 0;
    this.#failures = 0;
  }
}
