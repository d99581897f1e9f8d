import {
  type CampaignStore,
  type ContactLoading,
  type ContactQueue,
  type ContactRecord,
  type DialRegistry,
  type DialTurns,
  type DoNotCallList,
  emptyCounts,
  type FiringAlerts,
  type LeaseOptions,
  type Outbox,
  type SpendLedger,
  type StateCounts,
  type StepJournal,
} from "../campaign_store.ts";
import { InMemoryContactLoading } from "./memory_contact_loading.ts";
import { InMemoryContactQueue } from "./memory_contact_queue.ts";
import { InMemoryContactWrites } from "./memory_contact_writes.ts";
import { MemoryContacts, snapshot } from "./memory_contacts.ts";
import { InMemoryDialRegistry } from "./memory_dial_registry.ts";
import { InMemoryDoNotCallList } from "./memory_do_not_call.ts";
import { LocalDialTurns } from "./local_dial_turns.ts";
import { InMemoryFiringAlerts } from "./memory_firing_alerts.ts";
import { InMemoryOutbox } from "./memory_outbox.ts";
import { InMemorySpendLedger } from "./memory_spend_ledger.ts";

/**
 * The ledger in memory, with the same semantics as the SQLite store: for tests and as the
 * benchmark's baseline. Nothing survives the process. Put together from its roles, one file
 * each, over the contacts they share ({@link MemoryContacts}).
 */
export class InMemoryCampaignStore implements CampaignStore {
  readonly #contacts: MemoryContacts;
  readonly #loading: ContactLoading;
  readonly #queue: ContactQueue;
  readonly #journal: StepJournal;
  readonly #spend: SpendLedger;
  readonly #registry: DialRegistry;
  readonly outbox: Outbox = new InMemoryOutbox();
  readonly doNotCall: DoNotCallList = new InMemoryDoNotCallList();
  readonly dialTurns: DialTurns = new LocalDialTurns();
  readonly firingAlerts: FiringAlerts = new InMemoryFiringAlerts();
  readonly lease: LeaseOptions;

  constructor(lease: LeaseOptions = { owner: "this-process", ms: 30_000 }) {
    this.lease = lease;
    const contacts = new MemoryContacts(lease);
    const spend = new InMemorySpendLedger(contacts);
    this.#contacts = contacts;
    this.#spend = spend;
    this.#loading = new InMemoryContactLoading(contacts);
    this.#queue = new InMemoryContactQueue(contacts);
    this.#journal = new InMemoryContactWrites(contacts, spend);
    this.#registry = new InMemoryDialRegistry(contacts);
  }

  ensureCampaign(
    ...a: Parameters<ContactLoading["ensureCampaign"]>
  ): ReturnType<ContactLoading["ensureCampaign"]> {
    return this.#loading.ensureCampaign(...a);
  }
  addContacts(
    ...a: Parameters<ContactLoading["addContacts"]>
  ): ReturnType<ContactLoading["addContacts"]> {
    return this.#loading.addContacts(...a);
  }
  addInvalid(
    ...a: Parameters<ContactLoading["addInvalid"]>
  ): ReturnType<ContactLoading["addInvalid"]> {
    return this.#loading.addInvalid(...a);
  }
  invalidRows(
    ...a: Parameters<ContactLoading["invalidRows"]>
  ): ReturnType<ContactLoading["invalidRows"]> {
    return this.#loading.invalidRows(...a);
  }
  resumeInterrupted(
    ...a: Parameters<ContactQueue["resumeInterrupted"]>
  ): ReturnType<ContactQueue["resumeInterrupted"]> {
    return this.#queue.resumeInterrupted(...a);
  }
  claimNext(...a: Parameters<ContactQueue["claimNext"]>): ReturnType<ContactQueue["claimNext"]> {
    return this.#queue.claimNext(...a);
  }
  claim(...a: Parameters<ContactQueue["claim"]>): ReturnType<ContactQueue["claim"]> {
    return this.#queue.claim(...a);
  }
  renewLeases(
    ...a: Parameters<ContactQueue["renewLeases"]>
  ): ReturnType<ContactQueue["renewLeases"]> {
    return this.#queue.renewLeases(...a);
  }
  nextLeaseExpiry(
    ...a: Parameters<ContactQueue["nextLeaseExpiry"]>
  ): ReturnType<ContactQueue["nextLeaseExpiry"]> {
    return this.#queue.nextLeaseExpiry(...a);
  }
  unclaim(...a: Parameters<ContactQueue["unclaim"]>): ReturnType<ContactQueue["unclaim"]> {
    return this.#queue.unclaim(...a);
  }
  releaseDeferred(
    ...a: Parameters<ContactQueue["releaseDeferred"]>
  ): ReturnType<ContactQueue["releaseDeferred"]> {
    return this.#queue.releaseDeferred(...a);
  }
  deferredServices(
    ...a: Parameters<ContactQueue["deferredServices"]>
  ): ReturnType<ContactQueue["deferredServices"]> {
    return this.#queue.deferredServices(...a);
  }
  nextDeferredAt(
    ...a: Parameters<ContactQueue["nextDeferredAt"]>
  ): ReturnType<ContactQueue["nextDeferredAt"]> {
    return this.#queue.nextDeferredAt(...a);
  }
  failRemaining(
    ...a: Parameters<ContactQueue["failRemaining"]>
  ): ReturnType<ContactQueue["failRemaining"]> {
    return this.#queue.failRemaining(...a);
  }
  saveStep(...a: Parameters<StepJournal["saveStep"]>): ReturnType<StepJournal["saveStep"]> {
    return this.#journal.saveStep(...a);
  }
  complete(...a: Parameters<StepJournal["complete"]>): ReturnType<StepJournal["complete"]> {
    return this.#journal.complete(...a);
  }
  fail(...a: Parameters<StepJournal["fail"]>): ReturnType<StepJournal["fail"]> {
    return this.#journal.fail(...a);
  }
  skip(...a: Parameters<StepJournal["skip"]>): ReturnType<StepJournal["skip"]> {
    return this.#journal.skip(...a);
  }
  defer(...a: Parameters<StepJournal["defer"]>): ReturnType<StepJournal["defer"]> {
    return this.#journal.defer(...a);
  }
  spendOf(...a: Parameters<SpendLedger["spendOf"]>): ReturnType<SpendLedger["spendOf"]> {
    return this.#spend.spendOf(...a);
  }
  estimatedCallPrices(
    ...a: Parameters<SpendLedger["estimatedCallPrices"]>
  ): ReturnType<SpendLedger["estimatedCallPrices"]> {
    return this.#spend.estimatedCallPrices(...a);
  }
  settleCallPrice(
    ...a: Parameters<SpendLedger["settleCallPrice"]>
  ): ReturnType<SpendLedger["settleCallPrice"]> {
    return this.#spend.settleCallPrice(...a);
  }
  spendTotals(
    ...a: Parameters<SpendLedger["spendTotals"]>
  ): ReturnType<SpendLedger["spendTotals"]> {
    return this.#spend.spendTotals(...a);
  }
  recordedCalls(
    ...a: Parameters<DialRegistry["recordedCalls"]>
  ): ReturnType<DialRegistry["recordedCalls"]> {
    return this.#registry.recordedCalls(...a);
  }
  calledBefore(
    ...a: Parameters<DialRegistry["calledBefore"]>
  ): ReturnType<DialRegistry["calledBefore"]> {
    return this.#registry.calledBefore(...a);
  }

  counts(campaign: string): Promise<StateCounts> {
    const counts = emptyCounts();
    const { entries, invalid } = this.#contacts.campaign(campaign);
    for (const entry of entries.values()) counts[entry.state]++;
    counts.invalid += invalid.size;
    return Promise.resolve(counts);
  }

  get(campaign: string, contactId: string): Promise<ContactRecord | undefined> {
    const entry = this.#contacts.campaign(campaign).entries.get(contactId);
    return Promise.resolve(entry ? snapshot(entry) : undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
