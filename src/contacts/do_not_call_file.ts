import type { DoNotCallList } from "../ledger/mod.ts";
import { readLines } from "./read_lines.ts";
import { NumberPlan } from "../domain/mod.ts";

/** What reading a do-not-call file needs from the process. */
export interface DoNotCallFileIo {
  /** Opens the file for streaming. */
  openFile(path: string): Promise<ReadableStream<Uint8Array>>;
  /** The file's size and modification time: a change of either means it is read again. */
  statFile(path: string): Promise<{ size: number; mtimeMs: number }>;
}

/** A line of the file that is not a number, said so a person can fix it. */
export interface DoNotCallProblem {
  line: number;
  reason: string;
}

/** What one reading of the file did. */
export interface DoNotCallLoad {
  /** Numbers listed now (each once). */
  numbers: number;
  /** Lines that were not numbers (the first 100; `invalidCount` counts them all). */
  invalid: DoNotCallProblem[];
  invalidCount: number;
}

/** Numbers written to the ledger per commit while a file is read. */
const batchSize = 250;

/**
 * A campaign's do-not-call list, read from a file of numbers (one per line, read by the same
 * numbering plan as contacts' phones, national formats in `contacts.defaultCountry` included;
 * `#` starts a comment; a first line that holds no digit is a header) into the ledger, so a list
 * of any size costs one indexed look-up per dial and no memory. {@link has} is current as of the
 * call: the file is looked at first (its size and modification time), and read again when it
 * changed, the new list fully in the ledger before the answer. While a reading is under way the
 * numbers of both lists count as listed: a number removed from the file is dialled only once the
 * new list is in. The list is never weaker than the file meant: a reading with lines it could not
 * read (unless `leaveOutBadLines`) keeps the list it had as well.
 */
export class DoNotCallFile {
  readonly path: string;
  readonly #campaign: string;
  readonly #list: DoNotCallList;
  readonly #io: DoNotCallFileIo;
  readonly #onReload: (load: DoNotCallLoad) => void;
  readonly #onProblem: (error: unknown) => void;
  readonly #plan: NumberPlan;
  readonly #leaveOutBadLines: boolean;
  readonly #turn: () => Promise<void>;
  /** The file's version in the ledger (its size and modification time). */
  #loaded: string | undefined;
  /** The look at the file (and its reading) under way: concurrent dials share it. */
  #checking: Promise<void> | undefined;

  constructor(
    path: string,
    campaign: string,
    list: DoNotCallList,
    io: DoNotCallFileIo,
    events: {
      /** Told after the file was read again because it changed. */
      onReload?: (load: DoNotCallLoad) => void;
      /** Told when the file cannot be looked at or read mid-run: the last list stays. */
      onProblem?: (error: unknown) => void;
    } = {},
    rules: {
      /** Reads the numbers (as contacts' phones are read). @default E.164 only */
      plan?: NumberPlan;
      /** Lines that cannot be read are left out, and the list read without them replaces the
       * last one; unset, such a reading only adds to the last list. @default false */
      leaveOutBadLines?: boolean;
      /** Called between batches of a reading, to give the event loop a turn (see
       * `networkTurns`): a long list read mid-run never holds it. */
      turn?: () => Promise<void>;
    } = {},
  ) {
    this.#plan = rules.plan ?? new NumberPlan();
    this.#leaveOutBadLines = rules.leaveOutBadLines ?? false;
    this.#turn = rules.turn ?? (() => Promise.resolve());
    this.path = path;
    this.#campaign = campaign;
    this.#list = list;
    this.#io = io;
    this.#onReload = events.onReload ?? (() => {});
    this.#onProblem = events.onProblem ?? (() => {});
  }

  /** Reads the file into the ledger now; rejects when it cannot be read (the caller stops). */
  async load(): Promise<DoNotCallLoad> {
    const stat = await this.#io.statFile(this.path);
    return await this.#read(versionOf(stat));
  }

  /** Whether `phone` is on the list as the file stands now. */
  async has(phone: string): Promise<boolean> {
    this.#checking ??= this.#refresh().finally(() => (this.#checking = undefined));
    await this.#checking;
    return await this.#list.has(this.#campaign, phone);
  }

  /** Reads the file again if it changed since it was last read. A file that cannot be looked
   * at or read leaves the list as it was (the problem is reported, not thrown into a dial). */
  async #refresh(): Promise<void> {
    try {
      const version = versionOf(await this.#io.statFile(this.path));
      if (version === this.#loaded) return;
      this.#onReload(await this.#read(version));
    } catch (error) {
      this.#onProblem(error);
    }
  }

  async #read(version: string): Promise<DoNotCallLoad> {
    const load: DoNotCallLoad = { numbers: 0, invalid: [], invalidCount: 0 };
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await this.#list.add(this.#campaign, batch, version);
      batch = [];
    };
    let sawLine = false;
    for await (const line of readLines(await this.#io.openFile(this.path))) {
      const problem = (reason: string) => {
        if (load.invalid.length < 100) load.invalid.push({ line: line.line, reason });
        load.invalidCount++;
      };
      if ("error" in line) {
        problem(line.error);
        continue;
      }
      const text = line.text.split("#")[0].split(",")[0].trim();
      if (text === "") continue;
      const first = !sawLine;
      sawLine = true;
      if (first && !/\d/.test(text)) continue; // a header: only the first line may be one
      const number = this.#plan.read(text);
      if ("phone" in number) {
        batch.push(number.phone);
        load.numbers++;
        if (batch.length >= batchSize) {
          await flush();
          await this.#turn();
        }
      } else {
        problem(number.problem);
      }
    }
    await flush();
    // Only once every number of this version is in: until now both lists applied. A reading
    // that could not read every line keeps the last list too (never weaker than meant).
    if (load.invalidCount === 0 || this.#leaveOutBadLines) {
      await this.#list.prune(this.#campaign, version);
    }
    this.#loaded = version;
    load.numbers = await this.#list.count(this.#campaign);
    return load;
  }
}

function versionOf(stat: { size: number; mtimeMs: number }): string {
  return `${stat.size}:${stat.mtimeMs}`;
}
