import type postgres from "postgres";
import { type DialRefusal, LeaseLostError, type SamePhoneRule } from "../campaign_store.ts";
import { LedgerError } from "../sqlite/schema.ts";
import type { PhoneAction } from "../_sql_rows.ts";

/** One contact write, as `apply_contact_writes` reads it (absent fields keep what is kept). */
export interface ContactWrite {
  campaign: string;
  id: string;
  now: number;
  /** The state the write ends the contact's lease in; absent for a step. */
  state?: "completed" | "failed" | "skipped" | "deferred";
  step?: string;
  /** Whether the write sets the reason (absent: cleared). */
  set_reason?: boolean;
  reason?: string;
  script?: string;
  script_by?: string;
  script_rejections?: string;
  spend?: string;
  audio?: string;
  call?: string;
  crm_record_id?: string;
  attempts?: string;
  /** What the write does with the number the contact dials. */
  action: PhoneAction;
  /** A new dial, decided under the number's lock. */
  dial?: SamePhoneRule;
  deferred_service?: string;
  defer_until?: number;
  cost_amount?: number;
  cost_day?: string;
}

/** A service's shared state as the database holds it (BIGINTs as text, or numbers in JSON). */
export interface ServiceStateRow {
  service: string;
  open_until: string | number;
  forced: boolean;
  reason: string;
  by: string;
  at: string | number;
}

interface Outcome {
  ord: number;
  outcome: "saved" | "lease-lost" | "called-before" | "phone-busy" | "service-states";
  other_campaign: string | null;
  other_id: string | null;
}

interface QueuedWrite {
  write: ContactWrite;
  operation: string;
  /** Times it was sent again after PostgreSQL broke a deadlock. */
  tries: number;
  resolve: (refusal: DialRefusal | undefined) => void;
  reject: (error: unknown) => void;
}

interface QueuedRead {
  resolve: (rows: ServiceStateRow[]) => void;
  reject: (error: unknown) => void;
}

/**
 * A process's round trips to PostgreSQL on the hot path, gathered: the contact writes (steps,
 * dials, the ends of leases) of one turn go together as one call of `apply_contact_writes` (one
 * transaction), with the read of the services' shared states that a request makes before it
 * is sent, when one is asked for meanwhile (read after the writes, so it starts after it was
 * asked for). What arrives while every connection has a batch at the database goes in the next.
 * Each write's promise settles once its batch is committed, so no step's side effect starts
 * before the step before it is durable; a write on a contact whose lease is not ours rejects
 * alone with {@link LeaseLostError}, and an error of the batch (the connection lost) rejects
 * all of it, none of its writes durable.
 */
export class PostgresRoundTrips {
  readonly #sql: postgres.Sql;
  readonly #owner: string;
  /** Batches at the database at once, at most. */
  readonly #inFlight: number;
  #writes: QueuedWrite[] = [];
  #reads: QueuedRead[] = [];
  readonly #sending = new Set<Promise<void>>();
  #closed = false;

  constructor(sql: postgres.Sql, owner: string, inFlight: number) {
    this.#sql = sql;
    this.#owner = owner;
    this.#inFlight = inFlight;
  }

  /** Writes `write` in the next batch; resolves with a dial's refusal, if it was refused. */
  write(operation: string, write: ContactWrite): Promise<DialRefusal | undefined> {
    if (this.#closed) {
      return Promise.reject(
        new LedgerError(`the ledger is closed: ${operation} ${write.id} was not written`),
      );
    }
    return new Promise((resolve, reject) => {
      this.#writes.push({ write, operation, resolve, reject, tries: 0 });
      this.#wake();
    });
  }

  /** Every service's shared state, read in a batch sent after this call. */
  readServiceStates(): Promise<ServiceStateRow[]> {
    return new Promise((resolve, reject) => {
      this.#reads.push({ resolve, reject });
      this.#wake();
    });
  }

  /** Sends what is queued, waits for it and for what is at the database, and refuses writes
   * from here on. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sendNext();
    while (this.#sending.size > 0) await Promise.allSettled([...this.#sending]);
  }

  /** What is asked for in the same turn of the microtask queue goes together. */
  #wake(): void {
    if (this.#writes.length + this.#reads.length === 1) queueMicrotask(() => this.#sendNext());
  }

  /** Sends what is queued as one batch, unless as many batches as the pool has connections for
   * are at the database already: then it goes when one of those is back. */
  #sendNext(): void {
    if (this.#writes.length + this.#reads.length === 0) return;
    if (this.#sending.size >= this.#inFlight) return;
    const writes = takeBatch(this.#writes);
    const reads = this.#reads.splice(0);
    const sent: Promise<void> = this.#send(writes, reads).finally(() => {
      this.#sending.delete(sent);
      this.#sendNext();
    });
    this.#sending.add(sent);
  }

  async #send(writes: QueuedWrite[], reads: QueuedRead[]): Promise<void> {
    try {
      if (writes.length === 0) {
        const rows = await this.#sql<ServiceStateRow[]>`
          SELECT service, open_until, forced, reason, by, at FROM service_states`;
        for (const read of reads) read.resolve(rows);
        return;
      }
      const outcomes = await this.#sql<Outcome[]>`
        SELECT ord, outcome, other_campaign, other_id
        FROM apply_contact_writes(${this.#owner}, ${
        JSON.stringify(writes.map((queued) => queued.write))
      }::text::jsonb, ${reads.length > 0})`;
      for (const row of outcomes) {
        if (row.outcome === "service-states") {
          const rows = JSON.parse(row.other_id ?? "[]") as ServiceStateRow[];
          for (const read of reads) read.resolve(rows);
        } else settle(writes[row.ord], row);
      }
    } catch (error) {
      // Two processes writing one contact at once (one of them past its lease) may lock
      // their rows in opposite orders: PostgreSQL ends one batch, which is sent again.
      const again = (error as { code?: string }).code === deadlockDetected
        ? writes.filter((queued) => queued.tries++ < 3)
        : [];
      this.#writes.unshift(...again);
      for (const queued of writes) if (!again.includes(queued)) queued.reject(error);
      for (const read of reads) read.reject(error);
    }
  }
}

/** SQLSTATE of a transaction PostgreSQL ended to break a deadlock. */
const deadlockDetected = "40P01";

/** Takes from `queued` the writes of a batch: one per contact (a contact's second write waits
 * for the next batch, so one statement never changes a row twice). */
function takeBatch(queued: QueuedWrite[]): QueuedWrite[] {
  const batch: QueuedWrite[] = [];
  const contacts = new Set<string>();
  let left = 0;
  for (const item of queued) {
    const key = `${item.write.campaign}\n${item.write.id}`;
    if (contacts.has(key)) queued[left++] = item;
    else {
      contacts.add(key);
      batch.push(item);
    }
  }

  queued.length = left;
  return batch;
}

function settle(queued: QueuedWrite, row: Outcome): void {
  const { write, operation } = queued;
  switch (row.outcome) {
    case "saved":
      return queued.resolve(undefined);
    case "lease-lost":
      return queued.reject(new LeaseLostError(write.id, operation));
    case "called-before":
      return queued.resolve({ reason: "called-before", firstContactId: row.other_id! });
    case "phone-busy":
      return queued.resolve({
        reason: "phone-busy",
        holder: { campaign: row.other_campaign!, contactId: row.other_id! },
      });
    case "service-states":
      return;
  }
}
