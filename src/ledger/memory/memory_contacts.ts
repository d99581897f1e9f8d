import {
  type Attempts,
  type ContactRecord,
  type DialRefusal,
  type InvalidRow,
  LeaseLostError,
  type LeaseOptions,
  type SamePhoneRule,
} from "../campaign_store.ts";
import { holdsPhone } from "../../domain/mod.ts";

/** A contact as the memory store holds it. */
export interface Entry extends ContactRecord {
  campaign: string;
  seq: number;
  loadId?: string;
  line?: number;
}

/** A campaign's contacts in memory. */
export interface Campaign {
  entries: Map<string, Entry>;
  invalid: Map<string, InvalidRow>;
  /** Pending entries by seq, from `head` on: claiming is O(1). */
  pending: Entry[];
  head: number;
  /** Entries in progress: where an expired lease is looked for. */
  held: Set<Entry>;
}

/** The contacts every role of the memory store works on, and the rules they share: leases,
 * the queue's order, who dials each number. */
export class MemoryContacts {
  readonly campaigns = new Map<string, Campaign>();
  seq = 0;
  /** Every contact of every campaign with a number, by number. */
  readonly byPhone = new Map<string, Set<Entry>>();
  /** The contact dialling each number now ({@link holdsPhone}). */
  readonly dialling = new Map<string, Entry>();

  constructor(readonly lease: LeaseOptions) {}

  campaign(name: string): Campaign {
    let campaign = this.campaigns.get(name);
    if (!campaign) {
      campaign = {
        entries: new Map(),
        invalid: new Map(),
        pending: [],
        head: 0,
        held: new Set(),
      };
      this.campaigns.set(name, campaign);
    }
    return campaign;
  }

  entry(campaign: string, id: string): Entry {
    const entry = this.campaign(campaign).entries.get(id);
    if (!entry) throw new RangeError(`no contact "${id}" in campaign "${campaign}"`);
    return entry;
  }

  /** Changes a contact this store holds the lease of (ending the lease when `ends`); any
   * other is refused with LeaseLostError. */
  write(
    campaign: string,
    id: string,
    operation: string,
    ends: boolean,
    attempts: Attempts | undefined,
    change: (entry: Entry) => void,
  ): Promise<void> {
    const entry = this.entry(campaign, id);
    if (entry.state !== "in_progress" || entry.lease?.owner !== this.lease.owner) {
      return Promise.reject(new LeaseLostError(id, operation));
    }
    if (ends) this.release(campaign, entry);
    change(entry);
    if (attempts) entry.attempts = { ...attempts };
    return Promise.resolve();
  }

  /** Ends the entry's lease: it leaves the in-progress set. */
  release(campaign: string, entry: Entry): void {
    entry.lease = undefined;
    this.campaign(campaign).held.delete(entry);
  }

  ordered(campaign: string, state: ContactRecord["state"]): Entry[] {
    return [...this.campaign(campaign).entries.values()].filter((e) => e.state === state)
      .sort((a, b) => a.seq - b.seq);
  }

  makePending(campaign: string, entries: Entry[]): void {
    const queue = this.campaign(campaign);
    // Entries made pending again were claimed before, so they are behind `head`: no repeats.
    queue.pending = queue.pending.slice(queue.head).filter((e) => e.state === "pending");
    for (const entry of entries) {
      entry.state = "pending";
      this.release(campaign, entry);
    }
    queue.pending.push(...entries);
    queue.pending.sort((a, b) => a.seq - b.seq);
    queue.head = 0;
  }

  /** Why `entry` may not dial its number now, if it may not (a call-once skip first: it is
   * final, where a busy number only waits). */
  dialRefusal(entry: Entry, rule: SamePhoneRule): DialRefusal | undefined {
    const { phone } = entry.contact;
    if (rule === "call-once") {
      const first = this.firstCaller(entry.campaign, phone, entry.contact.id);
      if (first) return { reason: "called-before", firstContactId: first };
    }
    const holder = this.dialling.get(phone);
    if (holder && holder !== entry) {
      return {
        reason: "phone-busy",
        holder: { campaign: holder.campaign, contactId: holder.contact.id },
      };
    }
    return undefined;
  }

  /** Takes the entry's number while its call holds it, and lets it go otherwise. */
  holdOrRelease(entry: Entry): void {
    const { phone } = entry.contact;
    if (holdsPhone(entry.outputs.call)) this.dialling.set(phone, entry);
    else this.letGo(entry);
  }

  letGo(entry: Entry): void {
    if (this.dialling.get(entry.contact.phone) === entry) {
      this.dialling.delete(entry.contact.phone);
    }
  }

  firstCaller(campaign: string, phone: string, contactId: string): string | undefined {
    const callers = [...this.byPhone.get(phone) ?? []].filter((other) =>
      other.campaign === campaign && other.contact.id !== contactId &&
      (other.outputs.call?.dials ?? 0) > 0
    ).sort((a, b) => a.seq - b.seq);
    return callers[0]?.contact.id;
  }
}

/** What a caller may keep of an entry: a copy, without the store's own fields. */
export function snapshot(entry: Entry): ContactRecord {
  const { campaign: _campaign, seq: _seq, loadId: _loadId, line: _line, ...record } = entry;
  return structuredClone(record);
}
