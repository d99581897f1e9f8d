import type { CampaignStore, ContactRecord } from "../ledger/mod.ts";

/**
 * Contacts claimed from the ledger a batch at a time and handed to the workers in the
 * campaign's order: one ledger transaction per batch instead of one per contact, and workers
 * still take contacts first-come in order. Keeps the ids whose leases this process holds (queued
 * or being worked), so they can be renewed; what is left when a pass stops goes back to pending.
 */
export class ClaimQueue {
  readonly #queue: ContactRecord[] = [];
  /** Contacts this process holds a lease on: queued here or handed to a worker. */
  readonly held = new Set<string>();
  #claiming?: Promise<void>;
  #exhausted = false;

  constructor(
    readonly store: CampaignStore,
    readonly campaign: string,
    readonly batch: number,
    readonly now: () => number,
  ) {}

  /** The next contact, claiming another batch when the queue is empty; undefined when none is
   * left to claim. */
  async next(): Promise<ContactRecord | undefined> {
    while (this.#queue.length === 0 && !this.#exhausted) {
      this.#claiming ??= this.store.claim(this.campaign, this.now(), this.batch).then(
        (records) => {
          for (const record of records) this.held.add(record.contact.id);
          this.#queue.push(...records);
          if (records.length === 0) this.#exhausted = true;
        },
      ).finally(() => (this.#claiming = undefined));
      await this.#claiming;
    }
    return this.#queue.shift();
  }

  /** A worker is done with the contact (its lease ended with its last write, or was lost). */
  done(contactId: string): void {
    this.held.delete(contactId);
  }

  /** Leases another process took over: those contacts are not handed out. */
  lost(contactIds: readonly string[]): void {
    const gone = new Set(contactIds);
    for (const id of gone) this.held.delete(id);
    const kept = this.#queue.filter((record) => !gone.has(record.contact.id));
    this.#queue.splice(0, this.#queue.length, ...kept);
  }

  /** Puts the contacts claimed but not handed out back to pending. */
  async release(): Promise<void> {
    const left = this.#queue.splice(0).map((record) => record.contact.id);
    for (const id of left) this.held.delete(id);
    if (left.length > 0) await this.store.unclaim(this.campaign, left, this.now());
  }
}
