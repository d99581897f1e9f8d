import { LedgerError } from "./sqlite_store.ts";

/** Who holds a ledger: enough for a person to find the process. */
export interface LedgerHolder {
  pid: number;
  host: string;
  /** When it took the ledger (ms since the epoch). */
  since: number;
}

/** The process this code runs in; the host is "unknown host" where the task may not read it. */
export function thisProcess(now: number): LedgerHolder {
  let host = "unknown host";
  try {
    host = Deno.hostname();
  } catch {
    // Without --allow-sys=hostname the pid alone names the holder.
  }
  return { pid: Deno.pid, host, since: now };
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
  const lockPath = `${ledgerPath}.lock`;
  const file = await Deno.open(lockPath, { read: true, write: true, create: true });
  let locked = false;
  try {
    locked = await file.tryLock(true);
    if (!locked) {
      const current = await readHolder(file);
      throw new LedgerError(
        `${ledgerPath} is in use by another agent (${describe(current)}); ` +
          "one process runs a SQLite ledger at a time: wait for it to finish, stop it, or give this run its own --db",
      );
    }
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
    for (let written = 0; written < bytes.length;) {
      written += await file.write(bytes.subarray(written));
    }
  } catch (error) {
    if (locked) await file.unlock().catch(() => {});
    file.close();
    throw error;
  }
  return {
    async [Symbol.asyncDispose]() {
      await file.unlock().catch(() => {});
      file.close();
    },
  };
}

async function readHolder(file: Deno.FsFile): Promise<LedgerHolder | undefined> {
  try {
    await file.seek(0, Deno.SeekMode.Start);
    const buffer = new Uint8Array(1024);
    const length = await file.read(buffer);
    if (!length) return undefined;
    const value = JSON.parse(new TextDecoder().decode(buffer.subarray(0, length)));
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
