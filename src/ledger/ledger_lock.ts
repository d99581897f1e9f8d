import { processIdentity, tryLockFile } from "../platform/mod.ts";
import { LedgerError } from "./sqlite/schema.ts";

/** Who holds a ledger: enough for a person to find the process. */
export interface LedgerHolder {
  pid: number;
  host: string;
  /** When it took the ledger (ms since the epoch). */
  since: number;
}

/** The process this code runs in, holding the ledger from `now`. */
export function thisProcess(now: number): LedgerHolder {
  return { ...processIdentity(), since: now };
}

/**
 * Takes the one-writer lock of a SQLite ledger: an exclusive advisory lock (flock) on
 * `<ledger>.lock`, held until disposed. The operating system drops it when the process dies,
 * however it dies (SIGKILL included), so a crashed run never blocks the next one, and a second
 * `run` on a ledger in use stops at once naming the holder instead of resetting the first
 * run's contacts in progress and calling them again.
 *
 * The lock file also holds the holder's pid, host and start time as JSON, read by the process
 * that is refused.
 */
export async function acquireLedgerLock(
  ledgerPath: string,
  holder: LedgerHolder,
): Promise<AsyncDisposable> {
  const taken = await tryLockFile(`${ledgerPath}.lock`);
  if ("holderText" in taken) {
    throw new LedgerError(
      `${ledgerPath} is in use by another agent (${describe(holderOf(taken.holderText))}); ` +
        "one process runs a SQLite ledger at a time: wait for it to finish, stop it, or give this run its own --db",
    );
  }
  try {
    await taken.lock.write(JSON.stringify(holder) + "\n");
  } catch (error) {
    await taken.lock[Symbol.asyncDispose]();
    throw error;
  }
  return taken.lock;
}

function holderOf(text: string): LedgerHolder | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value?.pid === "number" ? value as LedgerHolder : undefined;
  } catch {
    return undefined;
  }
}

function describe(holder: LedgerHolder | undefined): string {
  if (!holder) return "a process that has not yet written its pid";
  const host = String(holder.host).replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
  const since = Number.isFinite(holder.since)
    ? `, since ${new Date(holder.since).toISOString()}`
    : "";
  return `pid ${holder.pid} on ${host}${since}`;
}
