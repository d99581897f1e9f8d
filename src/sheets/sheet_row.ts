/** One row of the Sheets log; `rowId` is unique, so a retried append can be checked. */
export interface SheetRow {
  rowId: string;
  time: string;
  campaign: string;
  contactId: string;
  outcome: string;
  service: string;
  errorClass: string;
  attempts: number;
  breakerState: string;
  /** What went wrong, in the provider's own words (or why a contact was not called). */
  detail: string;
  /** What the contact cost so far, over all runs (`pricing.currency`). */
  spend: number;
}

/** The columns, in order (column A is the row id). */
export const sheetColumns: readonly (keyof SheetRow)[] = [
  "rowId",
  "time",
  "campaign",
  "contactId",
  "outcome",
  "service",
  "errorClass",
  "attempts",
  "breakerState",
  "detail",
  "spend",
];
