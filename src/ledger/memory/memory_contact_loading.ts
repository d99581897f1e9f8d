import {
  type ContactLoading,
  crmIdempotencyKey,
  type InvalidRow,
  type LoadResult,
  type LoadSource,
} from "../campaign_store.ts";
import type { Contact } from "../../domain/mod.ts";
import type { Entry, MemoryContacts } from "./memory_contacts.ts";

/** Loading contacts into memory, in the file's order. */
export class InMemoryContactLoading implements ContactLoading {
  constructor(readonly contacts: MemoryContacts) {}

  ensureCampaign(campaign: string, _now: number): Promise<void> {
    this.contacts.campaign(campaign);
    return Promise.resolve();
  }

  addContacts(
    campaign: string,
    contacts: readonly Contact[],
    _now: number,
    load?: LoadSource,
  ): Promise<LoadResult> {
    const { entries, pending } = this.contacts.campaign(campaign);
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
        seq: ++this.contacts.seq,
        loadId: load?.id,
        line: load?.lines[index],
      };
      entries.set(contact.id, entry);
      pending.push(entry);
      let sharing = this.contacts.byPhone.get(contact.phone);
      if (!sharing) this.contacts.byPhone.set(contact.phone, sharing = new Set());
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
    const { invalid } = this.contacts.campaign(campaign);
    for (const row of rows) {
      const key = `${row.source}\0${row.line}`;
      if (!invalid.has(key)) {
        invalid.set(key, { source: row.source, line: row.line, id: row.id, reason: row.reason });
      }
    }
    return Promise.resolve();
  }

  invalidRows(campaign: string, limit = 1000): Promise<InvalidRow[]> {
    return Promise.resolve(
      [...this.contacts.campaign(campaign).invalid.values()]
        .sort((a, b) => a.source.localeCompare(b.source) || a.line - b.line)
        .slice(0, limit),
    );
  }
}
