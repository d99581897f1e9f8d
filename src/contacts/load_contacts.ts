import type { CampaignStore, InvalidRow } from "../ledger/mod.ts";
import type { ContactRow } from "./contact_row.ts";
import { type Contact, zonesOf } from "../domain/mod.ts";

/** What loading a contacts file did. */
export interface LoadReport {
  /** Rows read, blank lines excluded. */
  rows: number;
  added: number;
  alreadyLoaded: number;
  /** Invalid rows, duplicates within the file included. */
  invalidCount: number;
  /** The first 1,000 invalid rows (the ledger has them all). */
  invalid: InvalidRow[];
  /** Valid rows whose zone neither a `timezone` column nor the number's area tells: their
   * calling hours are read in the campaign's zone. */
  zoneUnknown: number;
}

/**
 * Streams a contacts file into the campaign in batches: valid rows not yet in the campaign are
 * added as pending, invalid rows are recorded with their line number and reason. Loading the
 * same file again adds nothing; an id repeated within the file is invalid after its first
 * line (the ledger tells, so no id is held in memory: memory stays flat whatever the size).
 */
export async function loadContacts(
  store: CampaignStore,
  campaign: string,
  source: { path: string; rows: AsyncIterable<ContactRow> },
  deps: {
    now: () => number;
    onInvalid?: (row: InvalidRow) => void;
    batchSize?: number;
    /** Called between batches, to give the event loop a turn (see `networkTurns`), so a long
     * load never holds it (the status endpoint answers meanwhile): the rows of a file read
     * ahead come without one. */
    turn?: () => Promise<void>;
  },
): Promise<LoadReport> {
  const batchSize = deps.batchSize ?? 250;
  const report: LoadReport = {
    rows: 0,
    added: 0,
    alreadyLoaded: 0,
    invalidCount: 0,
    invalid: [],
    zoneUnknown: 0,
  };
  await store.ensureCampaign(campaign, deps.now());
  const loadId = crypto.randomUUID();
  let batch: Contact[] = [];
  let lines: number[] = [];
  let invalid: InvalidRow[] = [];
  const reject = (bad: InvalidRow) => {
    invalid.push(bad);
    report.invalidCount++;
    if (report.invalid.length < 1_000) report.invalid.push(bad);
    deps.onInvalid?.(bad);
  };
  const flush = async () => {
    if (batch.length > 0) {
      const result = await store.addContacts(campaign, batch, deps.now(), { id: loadId, lines });
      report.added += result.added;
      report.alreadyLoaded += result.alreadyLoaded;
      for (const { index, firstLine } of result.duplicates) {
        const id = batch[index].id;
        reject({
          source: source.path,
          line: lines[index],
          id,
          reason: `duplicate id ${id}${
            firstLine === undefined ? "" : ` (first on line ${firstLine})`
          }`,
        });
      }
      batch = [];
      lines = [];
    }
    if (invalid.length > 0) {
      await store.addInvalid(campaign, invalid);
      invalid = [];
    }
  };
  for await (const row of source.rows) {
    report.rows++;
    if ("contact" in row) {
      if (!zonesOf(row.contact)) report.zoneUnknown++;
      batch.push(row.contact);
      lines.push(row.line);
    } else {
      reject({ source: source.path, line: row.line, id: row.id, reason: row.reason });
    }
    if (batch.length + invalid.length >= batchSize) {
      await flush();
      await deps.turn?.();
    }
  }
  await flush();
  return report;
}
