import type { ContactQueue, ContactRecord } from "../campaign_store.ts";
import { type MemoryContacts, snapshot } from "./memory_contacts.ts";

/** The campaign's queue in memory: pending contacts in order, leases as every store has them. */
export class InMemoryContactQueue implements ContactQueue {
  constructor(readonly contacts: MemoryContacts) {}

  /** Every contact in progress: a store in memory has no other process to wait for. */
  resumeInterrupted(campaign: string, _now: number): Promise<number> {
    const interrupted = this.contacts.ordered(campaign, "in_progress");
    this.contacts.makePending(campaign, interrupted);
    return Promise.resolve(interrupted.length);
  }

  async claimNext(campaign: string, now: number): Promise<ContactRecord | undefined> {
    return (await this.claim(campaign, now, 1))[0];
  }

  claim(campaign: string, now: number, limit: number): Promise<ContactRecord[]> {
    const queue = this.contacts.campaign(campaign);
    const lease = { owner: this.contacts.lease.owner, until: now + this.contacts.lease.ms };
    const claimed: ContactRecord[] = [];
    const expired = [...queue.held].filter((entry) => entry.lease!.until < now)
      .sort((a, b) => a.seq - b.seq);
    for (const entry of expired.slice(0, limit)) {
      entry.lease = { ...lease };
      claimed.push(snapshot(entry));
    }
    while (claimed.length < limit && queue.head < queue.pending.length) {
      const next = queue.pending[queue.head++];
      if (next.state !== "pending") continue;
      next.state = "in_progress";
      next.lease = { ...lease };
      queue.held.add(next);
      claimed.push(snapshot(next));
    }
    return Promise.resolve(claimed);
  }

  renewLeases(campaign: string, contactIds: readonly string[], now: number): Promise<string[]> {
    const lost: string[] = [];
    for (const id of contactIds) {
      const entry = this.contacts.campaign(campaign).entries.get(id);
      if (entry?.state === "in_progress" && entry.lease?.owner === this.contacts.lease.owner) {
        entry.lease.until = now + this.contacts.lease.ms;
      } else {
        lost.push(id);
      }
    }
    return Promise.resolve(lost);
  }

  nextLeaseExpiry(campaign: string): Promise<number | undefined> {
    const times = [...this.contacts.campaign(campaign).held].map((entry) => entry.lease!.until);
    return Promise.resolve(times.length === 0 ? undefined : Math.min(...times));
  }

  unclaim(campaign: string, contactIds: readonly string[], _now: number): Promise<void> {
    const entries = contactIds.map((id) => this.contacts.entry(campaign, id))
      .filter((entry) =>
        entry.state === "in_progress" && entry.lease?.owner === this.contacts.lease.owner
      );
    this.contacts.makePending(campaign, entries);
    return Promise.resolve();
  }

  releaseDeferred(campaign: string, service: string, now: number, limit = -1): Promise<number> {
    const deferred = this.contacts.ordered(campaign, "deferred").filter((e) =>
      e.deferredService === service && (e.deferredUntil ?? 0) <= now
    );
    const released = limit < 0 ? deferred : deferred.slice(0, limit);
    this.contacts.makePending(campaign, released);
    return Promise.resolve(released.length);
  }

  deferredServices(campaign: string): Promise<string[]> {
    return Promise.resolve([
      ...new Set(this.contacts.ordered(campaign, "deferred").map((e) => e.deferredService!)),
    ]);
  }

  nextDeferredAt(campaign: string, after: number): Promise<number | undefined> {
    const times = this.contacts.ordered(campaign, "deferred").map((e) => e.deferredUntil ?? 0)
      .filter((at) => at > after);
    return Promise.resolve(times.length === 0 ? undefined : Math.min(...times));
  }

  failRemaining(campaign: string, reason: string, _now: number): Promise<number> {
    let failed = 0;
    for (const entry of this.contacts.campaign(campaign).entries.values()) {
      if (entry.state !== "pending" && entry.state !== "deferred") continue;
      Object.assign(entry, { state: "failed", reason });
      this.contacts.letGo(entry);
      failed++;
    }
    return Promise.resolve(failed);
  }
}
