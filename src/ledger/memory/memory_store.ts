import {
  type CampaignStore,
  type ContactRecord,
  type DialTurns,
  type DoNotCallList,
  emptyCounts,
  type FiringAlerts,
  type LeaseOptions,
  type Outbox,
  type StateCounts,
} from "../campaign_store.ts";
import { StoreByRole } from "../store_by_role.ts";
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
export class InMemoryCampaignStore extends StoreByRole implements CampaignStore {
  readonly #contacts: MemoryContacts;
  readonly outbox: Outbox = new InMemoryOutbox();
  readonly doNotCall: DoNotCallList = new InMemoryDoNotCallList();
  readonly dialTurns: DialTurns = new LocalDialTurns();
  readonly firingAlerts: FiringAlerts = new InMemoryFiringAlerts();
  readonly lease: LeaseOptions;

  constructor(lease: LeaseOptions = { owner: "this-process", ms: 30_000 }) {
    const contacts = new MemoryContacts(lease);
    const spend = new InMemorySpendLedger(contacts);
    super({
      loading: new InMemoryContactLoading(contacts),
      queue: new InMemoryContactQueue(contacts),
      journal: new InMemoryContactWrites(contacts, spend),
      spend,
      registry: new InMemoryDialRegistry(contacts),
    });
    this.lease = lease;
    this.#contacts = contacts;
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
