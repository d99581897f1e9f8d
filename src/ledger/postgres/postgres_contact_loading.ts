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
    // As in every store: a contact whose id this load added earlier in the file is a duplicate
    // (named with the line it first came from); one an earlier load added is already loaded.
    // Repeats within the batch are told here; the rest by the insert itself, which returns the
    // rows it added and, through a no-op update, the rows this same load added before. (A
    // separate look-up of the conflicting ids was planned while the table was small, then scanned
    // it for every batch: four agents loading one file at once took 74 s for 100,000 rows.)
    const duplicates: LoadResult["duplicates"] = [];
    const firstIndex = new Map<string, number>();
    const unique: number[] = [];
    for (const [index, contact] of contacts.entries()) {
      const first = firstIndex.get(contact.id);
      if (first === undefined) {
        firstIndex.set(contact.id, index);
        unique.push(index);
      } else if (load) duplicates.push({ index, firstLine: load.lines[first] });
    }
    const batch = unique.map((index) => contacts[index]);
    const rows = await this.sql<{ id: string; inserted: boolean; source_line: number | null }[]>`
      INSERT INTO contacts AS existing (campaign, id, seq, contact, state, crm_key, load_id,
        source_line, phone, updated_at)
      SELECT ${campaign}, c.id, nextval('contact_seq'), c.contact, 'pending', c.crm_key,
        ${load?.id ?? null}, c.line, c.phone, ${now}
      FROM unnest(${batch.map((c) => c.id)}::text[],
        ${batch.map((c) => JSON.stringify(c))}::text[],
        ${batch.map((c) => crmIdempotencyKey(campaign, c.id))}::text[],
        ${unique.map((index) => load?.lines[index] ?? null)}::int[],
        ${batch.map((c) => c.phone)}::text[])
        WITH ORDINALITY AS c(id, contact, crm_key, line, phone, ord)
      ORDER BY c.ord
      ON CONFLICT (campaign, id) DO UPDATE SET load_id = existing.load_id
        WHERE existing.load_id = EXCLUDED.load_id
      RETURNING id, (xmax = 0) AS inserted, source_line`;
    let added = 0;
    for (const row of rows) {
      if (row.inserted) added++;
      else {
        duplicates.push({
          index: firstIndex.get(row.id)!,
          firstLine: row.source_line ?? undefined,
        });
      }
    }
    duplicates.sort((a, b) => a.index - b.index);
    return { added, alreadyLoaded: contacts.length - added - duplicates.length, duplicates };
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
