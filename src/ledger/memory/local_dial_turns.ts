import type { DialTurns } from "../campaign_store.ts";

/** Dial turns kept in this process: for a ledger only one process works at a time (memory,
 * SQLite). */
export class LocalDialTurns implements DialTurns {
  readonly #next = new Map<string, number>();

  next(campaign: string, now: number, spacingMs: number): Promise<number> {
    const turn = Math.max(this.#next.get(campaign) ?? now, now);
    this.#next.set(campaign, turn + spacingMs);
    return Promise.resolve(turn);
  }
}
