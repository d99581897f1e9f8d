import type postgres from "postgres";
import {
  type ContactLoading,
  crmIdempotencyKey,
  type InvalidRow,
  type LoadResult,
  type LoadSource,
} from "../campaign_store.ts";
import { invalidRowOf, type InvalidRowRow } from "../_sql_rows.ts";
import type { Contact } from "../../domain/mod.ts";

/** Loading contacts into PostgreSQL: a batch in one statement, each row stored once however
 * many processes load the same file at once (`ON CONFLICT DO NOTHING`). */
export class PostgresContactLoading implements ContactLoading {
  constructor(readonly sql: postgres.Sql) {}

  async ensureCampaign(campaign: string, now: number): Promise<void> {
    await this.sql`INSERT INTO campaigns (name, created_at) VALUES (${campaign}, ${now})
      ON CONFLICT (name) DO NOTHING`;
  }
  async addContacts(
    campaign: string,
    contacts: readonly Contact[],
    now: number,
    load?: LoadSource,
  ): Promise<LoadResult> {
    if (contacts.length === 0) return { added: 0, alreadyLoaded: 0, duplicates: [] };
    const ids = contacts.map((contact) => contact.id);
    const lines = contacts.map((_, index) => load?.lines[index] ?? null);
    const inserted = await this.sql<{ id: string }[]>`
      INSERT INTO contacts (campaign, id, seq, contact, state, crm_key, load_id, source_line,
        phone, updated_at)
      SELECT ${campaign}, c.id, nextval('contact_seq'), c.contact, 'pending', c.crm_key,
        ${load?.id ?? null}, c.line, c.phone, ${now}
      FROM unnest(${ids}::text[], ${contacts.map((c) => JSON.stringify(c))}::text[],
        ${ids.map((id) => crmIdempotencyKey(campaign, id))}::text[], ${lines}::int[],
        ${contacts.map((c) => c.phone)}::text[])
        WITH ORDINALITY AS c(id, contact, crm_key, line, phone, ord)
      ORDER BY c.ord
      ON CONFLICT (campaign, id) DO NOTHING
      RETURNING id`;
    // As in every store: a contact whose id this load added earlier in the file is a duplicate
    // (named with the line it first came from); one an earlier load added is already loaded.
    const added = new Set(inserted.map((row) => row.id));
    const firstSeen = new Set<string>();
    const repeats: number[] = [];
    for (const [index, id] of ids.entries()) {
      if (!added.has(id) || firstSeen.has(id)) repeats.push(index);
      firstSeen.add(id);
    }
    const duplicates: LoadResult["duplicates"] = [];
    if (repeats.length > 0 && load) {
      const lookup = [...new Set(repeats.map((index) => ids[index]))];
      const rows = new Map(
        (await this.sql<{ id: string; load_id: string | null; source_line: number | null }[]>`
          SELECT id, load_id, source_line FROM contacts
          WHERE campaign = ${campaign} AND id = ANY(${lookup}::text[])`)
          .map((row) => [row.id, row]),
      );
      for (const index of repeats) {
        const first = rows.get(ids[index]);
        if (first?.load_id === load.id) {
          duplicates.push({ index, firstLine: first.source_line ?? undefined });
        }
      }
    }
    return {
      added: inserted.length,
      alreadyLoaded: contacts.length - inserted.length - duplicates.length,
      duplicates,
    };
  }
  async addInvalid(campaign: string, rows: readonly InvalidRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.sql`
      INSERT INTO invalid_rows (campaign, source, line, contact_id, reason)
      SELECT ${campaign}, r.source, r.line, r.id, r.reason
      FROM unnest(${rows.map((r) => r.source)}::text[], ${rows.map((r) => r.line)}::int[],
        ${rows.map((r) => r.id ?? null)}::text[], ${rows.map((r) => r.reason)}::text[])
        AS r(source, line, id, reason)
      ON CONFLICT DO NOTHING`;
  }
  async invalidRows(campaign: string, limit = 1000): Promise<InvalidRow[]> {
    const rows = await this.sql<InvalidRowRow[]>`
      SELECT source, line, contact_id, reason FROM invalid_rows WHERE campaign = ${campaign}
      ORDER BY source, line LIMIT ${limit}`;
    return rows.map(invalidRowOf);
  }
}
