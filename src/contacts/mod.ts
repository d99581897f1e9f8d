/**
 * Contacts in: CSV and JSON Lines files, streamed, each row validated with its line number.
 * @module
 */
export { type ContactRow } from "./contact_row.ts";
export { type CsvRecord, csvRecords } from "./csv_records.ts";
export { ContactsFileError, type Line, readLines } from "./read_lines.ts";
export { type ContactsFormat, formatOf, readContacts } from "./read_contacts.ts";
export { loadContacts, type LoadReport } from "./load_contacts.ts";
export {
  DoNotCallFile,
  type DoNotCallFileIo,
  type DoNotCallLoad,
  type DoNotCallProblem,
} from "./do_not_call_file.ts";
