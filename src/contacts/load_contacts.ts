import type { CampaignStore, InvalidRow } from "../ledger/mod.ts";
import type { Contact } from "../services/mod.ts";
import { type ContactsFormat, readContacts } from "./read_contacts.ts";

/** What loading a contacts file did. */
export interface LoadReport {
  /** Rows read, blank lines excluded. */
  rows: number;
  added: number;
  alreadyLoaded: number;
  invalid: InvalidRow[];
}

/**
 * Streams a contacts file into the campaign in batches: valid rows not yet in the campaign are
 * added as pending, invalid rows are recorded with their line number and reason. Loading the
 * same file again adds nothing.
 */
export async function loadContacts(
  store: CampaignStore,
  campaign: string,
  source: { path: string; stream: ReadableStream<Uint8Array>; format: ContactsFormat },
  deps: {
    now: () => number;
    onInvalid?: (row: InvalidRow) => void;
    batchSize?: number;
    /** Longest row (a quoted field included); a longer one is one invalid row. @default 64 KiB */
    maxRecordBytes?: number;
  },
): Promise<LoadReport> {
  const batchSize = deps.batchSize ?? 1_000;
  const report: LoadReport = { rows: 0, added: 0, alreadyLoaded: 0, invalid: [] };
  await store.ensureCampaign(campaign, deps.now());
  let batch: Contact[] = [];
  let invalid: InvalidRow[] = [];
  const flush = async () => {
    if (batch.length > 0) {
      const result = await store.addContacts(campaign, batch, deps.now());
      report.added += result.added;
      report.alreadyLoaded += result.alreadyLoaded;
      batch = [];
    }
    if (invalid.length > 0) {
      await store.addInvalid(campaign, invalid);
      invalid = [];
    }
  };
  for await (const row of readContacts(source.stream, source.format, deps.maxRecordBytes)) {
    report.rows++;
    if ("contact" in row) {
      batch.push(row.contact);
    } else {
      const bad: InvalidRow = {
        source: source.path,
        line: row.line,
        id: row.id,
        reason: row.reason,
      };
      invalid.push(bad);
      // Keep a bounded sample for the report; the ledger has them all.
      if (report.invalid.length < 1_000) report.invalid.push(bad);
      deps.onInvalid?.(bad);
    }
    if (batch.length + invalid.length >= batchSize) await flush();
  }
  await flush();
  return report;
}
