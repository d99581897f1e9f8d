import type { CampaignStore, ContactRecord } from "../ledger/mod.ts";

/**
 * Pending contacts claimed from the ledger a batch at a time and handed to the workers in the
 * campaign's order: one ledger transaction per batch instead of one per contact, and workers
 * still take contacts first-come in order. What is left when a pass stops goes back to pending.
 */
export class ClaimQueue {
  readonly #queue: ContactRecord[] = [];
  #claiming?: Promise<void>;
  #exhausted = false;

  constructor(
    readonly store: CampaignStore,
    readonly campaign: string,
    readonly batch: number,
    readonly now: () => number,
  ) {}

  /** The next contact, claiming another batch when the queue is empty; undefined when none is
   * pending. */
  async next(): Promise<ContactRecord | undefined> {
    while (this.#queue.length === 0 && !this.#exhausted) {
      this.#claiming ??= this.store.claim(this.campaign, this.now(), this.batch).then(
        (records) => {
          this.#queue.push(...records);
          if (records.length === 0) this.#exhausted = true;
        },
      ).finally(() => (this.#claiming = undefined));
      await this.#claiming;
    }
    return this.#queue.shift();
  }

  /** Puts the contacts claimed but not handed out back to pending. */
  async release(): Promise<void> {
    const left = this.#queue.splice(0).map((record) => record.contact.id);
    if (left.length > 0) await this.store.unclaim(this.campaign, left, this.now());
  }
}
