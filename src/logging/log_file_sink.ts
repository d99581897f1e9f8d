import type { LogRecord, Sink } from "@logtape/logtape";
import type { Clock } from "../clock/mod.ts";

/** An open log file: appends reach the operating system at once; `sync` reaches the disk. */
export interface LogFile {
  /** Appends every byte (the operating system holds them: a killed process loses none). */
  write(bytes: Uint8Array): void;
  /** Waits until what was written is on the disk (fsync). */
  sync(): Promise<void>;
  close(): void;
}

/** The file system calls a log file needs; `main.ts` passes the runtime's own. */
export interface LogFiles {
  /** Opens `path` for appending, creating it. */
  open(path: string): LogFile;
  /** The file's size in bytes; 0 when it does not exist. */
  size(path: string): number;
  /** Renames `from` to `to`, replacing it; nothing when `from` does not exist. */
  rename(from: string, to: string): void;
}

/** How a log file is written and rotated. */
export interface LogFileOptions {
  /** The file rotates once the next write would take it past this size. @default 10 MiB */
  maxBytes: number;
  /** Rotated files kept (`path.1` the newest). @default 5 */
  maxFiles: number;
  /** Longest time a line waits in memory before it is written to the file: all that a killed
   * process (SIGKILL, a crash) can lose. @default 100 */
  writeIntervalMs: number;
  /** Lines held before they are written at once, in characters. @default 65536 */
  bufferChars: number;
  /** Least time between two syncs to the disk (what a power loss can lose); they run off the
   * main thread and never hold a write back. @default 1000 */
  syncIntervalMs: number;
}

/** Most characters kept while the file refuses writes. */
const unwrittenLimit = 4 * 1024 * 1024;

/** Defaults of {@link LogFileOptions}. */
export const defaultLogFileOptions: LogFileOptions = {
  maxBytes: 10 * 1024 * 1024,
  maxFiles: 5,
  writeIntervalMs: 100,
  bufferChars: 64 * 1024,
  syncIntervalMs: 1_000,
};

/**
 * A LogTape sink that appends formatted lines to a file, rotating it by size. Lines are
 * gathered for at most `writeIntervalMs` (or until `bufferChars`) and then written in one
 * call, so a busy campaign pays one write per batch, and a process killed without warning
 * loses at most the last `writeIntervalMs` of lines: once written, the operating system has
 * them. Syncs to the disk run in the background at most every `syncIntervalMs`, never
 * holding a write back. Disposing writes what is left, syncs and closes: every exit path of
 * `main.ts` disposes it.
 */
export function logFileSink(
  path: string,
  formatter: (record: LogRecord) => string,
  deps: { files: LogFiles; clock: Clock },
  options: Partial<LogFileOptions> = {},
): Sink & AsyncDisposable {
  const settings = { ...defaultLogFileOptions, ...options };
  const { files, clock } = deps;
  const encoder = new TextEncoder();
  let file = files.open(path);
  let size = files.size(path);
  let buffer = "";
  let closed = false;
  const stopTimers = new AbortController();
  let writeScheduled = false;
  let syncing: Promise<void> | undefined;
  let syncWanted = false;
  let lastSyncAt = -Infinity;

  const rotate = () => {
    file.close();
    for (let n = settings.maxFiles - 1; n >= 1; n--) {
      files.rename(`${path}.${n}`, `${path}.${n + 1}`);
    }
    files.rename(path, `${path}.1`);
    file = files.open(path);
    size = 0;
  };

  // A sink never throws into the code that logs: lines a write refused (a full disk) wait
  // for the next write, up to a bound past which the oldest are dropped.
  const writeNow = () => {
    if (buffer.length === 0) return;
    const text = buffer;
    buffer = "";
    let bytes = encoder.encode(text);
    try {
      // Whole lines go to the file until the next would take it past maxBytes; then it rotates.
      while (bytes.length > 0) {
        if (size + bytes.length <= settings.maxBytes || settings.maxFiles < 1) {
          file.write(bytes);
          size += bytes.length;
          break;
        }
        const room = settings.maxBytes - size;
        let cut = room > 0 ? bytes.lastIndexOf(0x0a, room - 1) + 1 : 0;
        // A line longer than a whole file goes alone into a file of its own.
        if (cut === 0 && size === 0) cut = bytes.indexOf(0x0a) + 1 || bytes.length;
        if (cut > 0) {
          file.write(bytes.subarray(0, cut));
          size += cut;
          bytes = bytes.subarray(cut);
        }
        if (bytes.length > 0) rotate();
      }
      requestSync();
    } catch {
      buffer = (new TextDecoder().decode(bytes) + buffer).slice(-unwrittenLimit);
    }
  };

  const requestSync = () => {
    syncWanted = true;
    if (syncing || closed) return;
    syncing = (async () => {
      while (syncWanted && !closed) {
        syncWanted = false;
        const wait = lastSyncAt + settings.syncIntervalMs - clock.now();
        if (wait > 0) {
          try {
            await clock.sleep(wait, stopTimers.signal);
          } catch {
            return; // disposing: the final sync follows
          }
        }
        lastSyncAt = clock.now();
        await file.sync().catch(() => {}); // the lines are written; the next sync tries again
      }
    })().finally(() => (syncing = undefined));
  };

  const scheduleWrite = () => {
    if (writeScheduled) return;
    writeScheduled = true;
    clock.sleep(settings.writeIntervalMs, stopTimers.signal).then(() => {
      writeScheduled = false;
      writeNow();
    }, () => (writeScheduled = false));
  };

  const sink = (record: LogRecord) => {
    if (closed) return;
    buffer += formatter(record);
    if (buffer.length >= settings.bufferChars) writeNow();
    else scheduleWrite();
  };
  return Object.assign(sink, {
    async [Symbol.asyncDispose]() {
      if (closed) return;
      writeNow();
      closed = true;
      stopTimers.abort();
      await syncing;
      await file.sync().catch(() => {});
      file.close();
    },
  });
}
