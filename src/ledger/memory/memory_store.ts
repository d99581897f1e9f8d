import {
  type Attempts,
  callSidsOf,
  type CampaignStore,
  type ContactRecord,
  crmIdempotencyKey,
  type Deferral,
  type DialRefusal,
  type DialTurns,
  type DoNotCallList,
  emptyCounts,
  type FiringAlerts,
  type InvalidRow,
  LeaseLostError,
  type LeaseOptions,
  type LoadResult,
  type LoadSource,
  type Outbox,
  type SamePhoneRule,
  type StateCounts,
  type StepOutputs,
} from "../campaign_store.ts";
import { InMemoryDoNotCallList } from "./memory_do_not_call.ts";
import { LocalDialTurns } from "./local_dial_turns.ts";
import { InMemoryFiringAlerts } from "./memory_firing_alerts.ts";
import { InMemoryOutbox } from "./memory_outbox.ts";
import {
  type CallProgress,
  type Contact,
  holdsPhone,
  settleEstimate,
  type StepSpend,
  totalSpend,
} from "../../domain/mod.ts";

interface Entry extends ContactRecord {
  campaign: string;
  seq: number;
  loadId?: string;
  line?: number;
}

interface Campaign {
  entries: Map<string, Entry>;
  invalid: Map<string, InvalidRow>;
  /** Pending entries by seq, from `head` on: claiming is O(1). */
  pending: Entry[];
  head: number;
  /** Entries in progress: where an expired lease is looked for. */
  held: Set<Entry>;
}

/**
 * The ledger in memory, with the same semantics as the SQLite store: for tests and as the
 * benchmark's baseline. Nothing survives the process.
 */
export class InMemoryCampaignStore implements CampaignStore {
  readonly #campaigns = new Map<string, Campaign>();
  #seq = 0;
  /** Every contact of every campaign with a number, by number. */
  readonly #byPhone = new Map<string, Set<Entry>>();
  /** The contact dialling each number now ({@link holdsPhone}). */
  readonly #dialling = new Map<string, Entry>();
  /** Each campaign's spend per day, as saves with a cost recorded it. */
  readonly #spendByDay = new Map<string, Map<string, number>>();
  readonly outbox: Outbox = new InMemoryOutbox();
  readonly doNotCall: DoNotCallList = new InMemoryDoNotCallList();
  readonly dialTurns: DialTurns = new LocalDialTurns();
  readonly firingAlerts: FiringAlerts = new InMemoryFiringAlerts();
  readonly lease: LeaseOptions;

  constructor(lease: LeaseOptions = { owner: "this-process", ms: 30_000 }) {
    this.lease = lease;
  }

  #campaign(name: string): Campaign {
    let campaign = this.#campaigns.get(name);
    if (!campaign) {
      campaign = {
        entries: new Map(),
        invalid: new Map(),
        pending: [],
        head: 0,
        held: new Set(),
      };
      this.#campaigns.set(name, campaign);
    }
    return campaign;
  }

  #entry(campaign: string, id: string): Entry {
    const entry = this.#campaign(campaign).entries.get(id);
    if (!entry) throw new RangeError(`no contact "${id}" in campaign "${campaign}"`);
    return entry;
  }

  /** Changes a contact this store holds the lease of (ending the lease when `ends`); any
   * other is refused with LeaseLostError. */
  #write(
    campaign: string,
    id: string,
    operation: string,
    ends: boolean,
    attempts: Attempts | undefined,
    change: (entry: Entry) => void,
  ): Promise<void> {
    const entry = this.#entry(campaign, id);
    if (entry.state !== "in_progress" || entry.lease?.owner !== this.lease.owner) {
      return Promise.reject(new LeaseLostError(id, operation));
    }
    if (ends) this.#release(campaign, entry);
    change(entry);
    if (attempts) entry.attempts = { ...attempts };
    return Promise.resolve();
  }

  /** Ends the entry's lease: it leaves the in-progress set. */
  #release(campaign: string, entry: Entry): void {
    entry.lease = undefined;
    this.#campaign(campaign).held.delete(entry);
  }

  #ordered(campaign: string, state: ContactRecord["state"]): Entry[] {
    return [...this.#campaign(campaign).entries.values()].filter((e) => e.state === state)
      .sort((a, b) => a.seq - b.seq);
  }

  ensureCampaign(campaign: string, _now: number): Promise<void> {
    this.#campaign(campaign);
    return Promise.resolve();
  }

  addContacts(
    campaign: string,
    contacts: readonly Contact[],
    _now: number,
    load?: LoadSource,
  ): Promise<LoadResult> {
    const { entries, pending } = this.#campaign(campaign);
    let added = 0;
    const duplicates: LoadResult["duplicates"] = [];
    for (const [index, contact] of contacts.entries()) {
      const existing = entries.get(contact.id);
      if (existing) {
        if (load && existing.loadId === load.id) {
          duplicates.push({ index, firstLine: existing.line });
        }
        continue;
      }
      const entry: Entry = {
        campaign,
        contact: structuredClone(contact),
        state: "pending",
        outputs: {},
        deferrals: 0,
        attempts: {},
        crmKey: crmIdempotencyKey(campaign, contact.id),
        seq: ++this.#seq,
        loadId: load?.id,
        line: load?.lines[index],
      };
      entries.set(contact.id, entry);
      pending.push(entry);
      let sharing = this.#byPhone.get(contact.phone);
      if (!sharing) this.#byPhone.set(contact.phone, sharing = new Set());
      sharing.add(entry);
      added++;
    }
    return Promise.resolve({
      added,
      alreadyLoaded: contacts.length - added - duplicates.length,
      duplicates,
    });
  }

  addInvalid(campaign: string, rows: readonly InvalidRow[]): Promise<void> {
    const { invalid } = this.#campaign(campaign);
    for (const row of rows) {
      const key = `${row.source}\0${row.line}`;
      if (!invalid.has(key)) {
        invalid.set(key, { source: row.source, line: row.line, id: row.id, reason: row.reason });
      }
    }
    return Promise.resolve();
  }

  /** Every contact in progress: a store in memory has no other process to wait for. */
  resumeInterrupted(campaign: string, _now: number): Promise<number> {
    const interrupted = this.#ordered(campaign, "in_progress");
    this.#makePending(campaign, interrupted);
    return Promise.resolve(interrupted.length);
  }

  async claimNext(campaign: string, now: number): Promise<ContactRecord | undefined> {
    return (await this.claim(campaign, now, 1))[0];
  }

  claim(campaign: string, now: number, limit: number): Promise<ContactRecord[]> {
    const queue = this.#campaign(campaign);
    const lease = { owner: this.lease.owner, until: now + this.lease.ms };
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
      const entry = this.#campaign(campaign).entries.get(id);
      if (entry?.state === "in_progress" && entry.lease?.owner === this.lease.owner) {
        entry.lease.until = now + this.lease.ms;
      } else {
        lost.push(id);
      }
    }
    return Promise.resolve(lost);
  }

  nextLeaseExpiry(campaign: string): Promise<number | undefined> {
    const times = [...this.#campaign(campaign).held].map((entry) => entry.lease!.until);
    return Promise.resolve(times.length === 0 ? undefined : Math.min(...times));
  }

  unclaim(campaign: string, contactIds: readonly string[], _now: number): Promise<void> {
    const entries = contactIds.map((id) => this.#entry(campaign, id))
      .filter((entry) => entry.state === "in_progress" && entry.lease?.owner === this.lease.owner);
    this.#makePending(campaign, entries);
    return Promise.resolve();
  }

  #makePending(campaign: string, entries: Entry[]): void {
    const queue = this.#campaign(campaign);
    // Entries made pending again were claimed before, so they are behind `head`: no repeats.
    queue.pending = queue.pending.slice(queue.head).filter((e) => e.state === "pending");
    for (const entry of entries) {
      entry.state = "pending";
      this.#release(campaign, entry);
    }
    queue.pending.push(...entries);
    queue.pending.sort((a, b) => a.seq - b.seq);
    queue.head = 0;
  }

  async saveStep(
    campaign: string,
    contactId: string,
    step: string,
    outputs: StepOutputs,
    _now: number,
    attempts?: Attempts,
    dial?: SamePhoneRule,
  ): Promise<DialRefusal | undefined> {
    let refusal: DialRefusal | undefined;
    await this.#write(campaign, contactId, "saving a step", false, attempts, (entry) => {
      const { cost, ...given } = structuredClone(outputs);
      // What a save does not carry stays as it was (as the SQL stores' COALESCE keeps it).
      const saved: StepOutputs = Object.fromEntries(
        Object.entries(given).filter(([, value]) => value !== undefined),
      );
      if (dial) refusal = this.#dialRefusal(entry, dial);
      if (refusal) delete saved.call;
      entry.step = step;
      entry.outputs = { ...entry.outputs, ...saved };
      if (cost) {
        const days = this.#spendByDay.get(campaign) ?? new Map<string, number>();
        days.set(cost.day, (days.get(cost.day) ?? 0) + cost.amount);
        this.#spendByDay.set(campaign, days);
      }
      if (saved.call) this.#holdOrRelease(entry);
    });
    return refusal;
  }

  /** Why `entry` may not dial its number now, if it may not (a call-once skip first: it is
   * final, where a busy number only waits). */
  #dialRefusal(entry: Entry, rule: SamePhoneRule): DialRefusal | undefined {
    const { phone } = entry.contact;
    if (rule === "call-once") {
      const first = this.#firstCaller(entry.campaign, phone, entry.contact.id);
      if (first) return { reason: "called-before", firstContactId: first };
    }
    const holder = this.#dialling.get(phone);
    if (holder && holder !== entry) {
      return {
        reason: "phone-busy",
        holder: { campaign: holder.campaign, contactId: holder.contact.id },
      };
    }
    return undefined;
  }

  /** Takes the entry's number while its call holds it, and lets it go otherwise. */
  #holdOrRelease(entry: Entry): void {
    const { phone } = entry.contact;
    if (holdsPhone(entry.outputs.call)) this.#dialling.set(phone, entry);
    else this.#letGo(entry);
  }

  #letGo(entry: Entry): void {
    if (this.#dialling.get(entry.contact.phone) === entry) {
      this.#dialling.delete(entry.contact.phone);
    }
  }

  #firstCaller(campaign: string, phone: string, contactId: string): string | undefined {
    const callers = [...this.#byPhone.get(phone) ?? []].filter((other) =>
      other.campaign === campaign && other.contact.id !== contactId &&
      (other.outputs.call?.dials ?? 0) > 0
    ).sort((a, b) => a.seq - b.seq);
    return callers[0]?.contact.id;
  }

  complete(
    campaign: string,
    contactId: string,
    crmRecordId: string,
    _now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.#write(campaign, contactId, "completing", true, attempts, (entry) => {
      Object.assign(entry, { state: "completed", step: "done", reason: undefined });
      entry.outputs.crmRecordId = crmRecordId;
      if (call) entry.outputs.call = structuredClone(call);
      this.#letGo(entry);
    });
  }

  fail(
    campaign: string,
    contactId: string,
    reason: string,
    _now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.#write(campaign, contactId, "failing", true, attempts, (entry) => {
      Object.assign(entry, { state: "failed", reason });
      if (call) entry.outputs.call = structuredClone(call);
      this.#letGo(entry);
    });
  }

  skip(
    campaign: string,
    contactId: string,
    reason: string,
    _now: number,
    attempts?: Attempts,
    crmRecordId?: string,
  ): Promise<void> {
    return this.#write(campaign, contactId, "skipping", true, attempts, (entry) => {
      Object.assign(entry, { state: "skipped", step: "done", reason });
      if (crmRecordId) entry.outputs.crmRecordId = crmRecordId;
      this.#letGo(entry);
    });
  }

  defer(
    campaign: string,
    contactId: string,
    deferral: Deferral,
    _now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.#write(campaign, contactId, "deferring", true, attempts, (entry) => {
      if (call) {
        entry.outputs.call = structuredClone(call);
        this.#holdOrRelease(entry);
      }
      entry.state = "deferred";
      entry.deferredService = deferral.service;
      entry.deferredUntil = deferral.until;
      entry.deferrals++;
      entry.reason = deferral.reason;
    });
  }

  releaseDeferred(campaign: string, service: string, now: number, limit = -1): Promise<number> {
    const deferred = this.#ordered(campaign, "deferred").filter((e) =>
      e.deferredService === service && (e.deferredUntil ?? 0) <= now
    );
    const released = limit < 0 ? deferred : deferred.slice(0, limit);
    this.#makePending(campaign, released);
    return Promise.resolve(released.length);
  }

  deferredServices(campaign: string): Promise<string[]> {
    return Promise.resolve([
      ...new Set(this.#ordered(campaign, "deferred").map((e) => e.deferredService!)),
    ]);
  }

  estimatedCallPrices(
    campaign: string,
  ): Promise<{ contactId: string; sid: string; estimate: number }[]> {
    return Promise.resolve(
      [...this.#campaign(campaign).entries.values()].flatMap((e) => {
        const call = e.outputs.call;
        const estimate = call?.final?.estimate;
        return estimate && call?.sid
          ? [{ contactId: e.contact.id, sid: call.sid, estimate: estimate.amount }]
          : [];
      }),
    );
  }

  settleCallPrice(campaign: string, contactId: string, price: number): Promise<boolean> {
    const entry = this.#campaign(campaign).entries.get(contactId);
    const settled = entry && settleEstimate(entry.outputs.call, entry.outputs.spend, price);
    if (!entry || !settled) return Promise.resolve(false);
    entry.outputs.call = settled.call;
    entry.outputs.spend = settled.spend;
    const days = this.#spendByDay.get(campaign) ?? new Map<string, number>();
    days.set(settled.day, (days.get(settled.day) ?? 0) + settled.delta);
    this.#spendByDay.set(campaign, days);
    return Promise.resolve(true);
  }

  spendTotals(campaign: string, day: string): Promise<{ total: number; onDay: number }> {
    const days = this.#spendByDay.get(campaign) ?? new Map<string, number>();
    let total = 0;
    for (const amount of days.values()) total += amount;
    return Promise.resolve({ total, onDay: days.get(day) ?? 0 });
  }

  spendOf(campaign: string): Promise<StepSpend> {
    return Promise.resolve(
      totalSpend([...this.#campaign(campaign).entries.values()].map((e) => e.outputs.spend)),
    );
  }

  nextDeferredAt(campaign: string, after: number): Promise<number | undefined> {
    const times = this.#ordered(campaign, "deferred").map((e) => e.deferredUntil ?? 0)
      .filter((at) => at > after);
    return Promise.resolve(times.length === 0 ? undefined : Math.min(...times));
  }

  failRemaining(campaign: string, reason: string, _now: number): Promise<number> {
    let failed = 0;
    for (const entry of this.#campaign(campaign).entries.values()) {
      if (entry.state !== "pending" && entry.state !== "deferred") continue;
      Object.assign(entry, { state: "failed", reason });
      this.#letGo(entry);
      failed++;
    }
    return Promise.resolve(failed);
  }

  counts(campaign: string): Promise<StateCounts> {
    const counts = emptyCounts();
    const { entries, invalid } = this.#campaign(campaign);
    for (const entry of entries.values()) counts[entry.state]++;
    counts.invalid += invalid.size;
    return Promise.resolve(counts);
  }

  recordedCalls(phone: string): Promise<string[]> {
    return Promise.resolve(
      [...this.#byPhone.get(phone) ?? []].flatMap((entry) => callSidsOf(entry.outputs.call)),
    );
  }

  calledBefore(campaign: string, phone: string, contactId: string): Promise<string | undefined> {
    return Promise.resolve(this.#firstCaller(campaign, phone, contactId));
  }

  invalidRows(campaign: string, limit = 1000): Promise<InvalidRow[]> {
    return Promise.resolve(
      [...this.#campaign(campaign).invalid.values()]
        .sort((a, b) => a.source.localeCompare(b.source) || a.line - b.line)
        .slice(0, limit),
    );
  }

  get(campaign: string, contactId: string): Promise<ContactRecord | undefined> {
    const entry = this.#campaign(campaign).entries.get(contactId);
    return Promise.resolve(entry ? snapshot(entry) : undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function snapshot(entry: Entry): ContactRecord {
  const { campaign: _campaign, seq: _seq, loadId: _loadId, line: _line, ...record } = entry;
  return structuredClone(record);
}
