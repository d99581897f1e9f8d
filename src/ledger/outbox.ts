/** One undelivered item in an outbox, in the order it was put there. */
export interface OutboxItem {
  id: number;
  payload: string;
  attempts: number;
}

/**
 * Durable queues of items a sink could not deliver yet (Sheets rows, alert messages): kept in
 * order until acknowledged, so a sink outage loses nothing and a restart replays it.
 */
export interface Outbox {
  /** Appends items to `queue`, in order. */
  enqueue(queue: string, payloads: readonly string[], now: number): Promise<void>;
  /** The oldest `limit` items of `queue`. */
  peek(queue: string, limit: number): Promise<OutboxItem[]>;
  /** Removes delivered items. */
  ack(queue: string, ids: readonly number[]): Promise<void>;
  /** Counts a failed delivery attempt of these items. */
  markAttempt(queue: string, ids: readonly number[]): Promise<void>;
  size(queue: string): Promise<number>;
  /**
   * Takes (or keeps) the right to send `queue` for `ms`: where processes share the ledger, one
   * sends each queue at a time, so its items go out in order and once. Absent: this process is
   * the only sender.
   */
  hold?(queue: string, now: number, ms: number): Promise<boolean>;
  /** Gives up the right to send `queue` (after a send), so another process need not wait. */
  release?(queue: string): Promise<void>;
}
