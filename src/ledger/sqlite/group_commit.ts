import type { DatabaseSync } from "node:sqlite";
import type { Clock, NetworkTurns } from "../../clock/mod.ts";
import { LeaseLostError } from "../campaign_store.ts";
import { inTransaction, LedgerError } from "./schema.ts";

/** What a contact write did: rows changed (none: the lease is not ours), and its answer. */
export interface WriteResult {
  changes: number | bigint;
  value?: unknown;
}

/** The most writes one commit takes (and so the most callers it lets go on at once). */
export const mostPerCommit = 50;

/** A contact write waiting for its group commit. */
interface QueuedWrite {
  contactId: string;
  operation: string;
  write: () => WriteResult;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the contact writes of one turn of the event loop into one transaction. The workers'
 * writes arrive in different turns of the microtask queue; one turn later they are all here,
 * and one commit (one WAL append of the pages they share) replaces one per write. Each write's
 * promise settles once that commit is done, so a caller never starts the next side effect
 * before its write is durable.
 *
 * A commit takes at most {@link mostPerCommit} writes, and waits for the network's turn when
 * the loop has been held (`networkTurns`, told it is crowded when more writes wait): a
 * thousand writes arriving together (a thousand calls that ended at once) are committed, and
 * their callers go on, in slices with the status server answered between them, not in one
 * stretch of a third of a second.
 */
export class GroupCommit {
  readonly #db: DatabaseSync;
  readonly #clock: Clock;
  readonly #networkTurns?: NetworkTurns;
  readonly #closing = new AbortController();
  #queued: QueuedWrite[] = [];
  #closed = false;

  constructor(db: DatabaseSync, clock: Clock, networkTurns?: NetworkTurns) {
    this.#db = db;
    this.#clock = clock;
    this.#networkTurns = networkTurns;
  }

  /**
   * Queues a write that must change the contact (none changed means its lease is not ours:
   * {@link LeaseLostError}) for the next group commit.
   */
  write<T = void>(contactId: string, operation: string, write: () => WriteResult): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new LedgerError(`the ledger is closed: ${operation} ${contactId} was not written`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const settle = resolve as (value: unknown) => void;
      if (this.#queued.push({ contactId, operation, write, resolve: settle, reject }) === 1) {
        this.#commitNext();
      }
    });
  }

  /** Commits what is queued one turn from now (after the network's, when it is due). */
  #commitNext(): void {
    this.#clock.sleep(0, this.#closing.signal)
      .then(() => this.#networkTurns?.())
      .then(() => {
        if (!this.#closing.signal.aborted) this.#commit();
      }, () => {});
  }

  /** Commits what is queued now, and refuses writes from here on. */
  close(): void {
    if (this.#closed) return;
    this.#closing.abort();
    this.#closed = true;
    this.#commit(); // all that is queued, at once
  }

  /**
   * Commits every queued write in one transaction. A write refused alone (its lease lost, a
   * constraint) fails alone; an error that ends the transaction, or a commit that fails, fails
   * them all, none of them durable.
   */
  readonly #commit = (): void => {
    const queued = this.#queued.splice(0, this.#closed ? Infinity : mostPerCommit);
    if (queued.length === 0) return;
    if (this.#queued.length > 0) {
      this.#networkTurns?.crowded();
      this.#commitNext();
    }
    let outcomes: ({ value: unknown } | { error: unknown })[];
    try {
      outcomes = inTransaction(this.#db, () =>
        queued.map(({ contactId, operation, write }) => {
          try {
            const result = write();
            return Number(result.changes) === 0
              ? { error: new LeaseLostError(contactId, operation) }
              : { value: result.value };
          } catch (error) {
            // An error that ended the transaction (SQLite rolled it back) ends the group:
            // none of its writes is durable, and the rest must not run outside it.
            if (!this.#db.isTransaction) throw error;
            return { error };
          }
        }));
    } catch (error) {
      for (const { reject } of queued) reject(error);
      return;
    }
    queued.forEach(({ resolve, reject }, index) => {
      const outcome = outcomes[index];
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome.value);
    });
  };
}
