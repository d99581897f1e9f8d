import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { VirtualClock } from "../../src/clock/mod.ts";
import { type LogFile, type LogFiles, logFileSink } from "../../src/logging/mod.ts";

/** Files in memory: what each path holds, what reached "the disk" (synced), and each call. */
function memoryFiles(options: { syncMs?: number; clock?: VirtualClock } = {}) {
  const written = new Map<string, string>();
  const synced = new Map<string, string>();
  const calls: string[] = [];
  let refuse = false;
  const decoder = new TextDecoder();
  const files: LogFiles = {
    open(path): LogFile {
      calls.push(`open ${path}`);
      if (!written.has(path)) written.set(path, "");
      return {
        write(bytes) {
          if (refuse) throw new Error("disk full");
          calls.push(`write ${path}`);
          written.set(path, written.get(path)! + decoder.decode(bytes));
        },
        async sync() {
          calls.push(`sync ${path}`);
          const snapshot = written.get(path)!;
          if (options.syncMs) await options.clock!.sleep(options.syncMs);
          synced.set(path, snapshot);
        },
        close: () => void calls.push(`close ${path}`),
      };
    },
    size: (path) => new TextEncoder().encode(written.get(path) ?? "").length,
    rename(from, to) {
      if (!written.has(from)) return;
      written.set(to, written.get(from)!);
      written.delete(from);
    },
  };
  return {
    files,
    written,
    synced,
    calls,
    refuseWrites: (value: boolean) => (refuse = value),
  };
}

const record = (message: string) => ({ message: [message] }) as unknown as LogRecord;
const format = (r: LogRecord) => `${r.message[0]}\n`;

Deno.test("a line reaches the file within writeIntervalMs, in one write per batch", async () => {
  const clock = new VirtualClock();
  const fs = memoryFiles();
  await using sink = logFileSink("a.log", format, { files: fs.files, clock });
  sink(record("one"));
  sink(record("two"));
  assert.equal(fs.written.get("a.log"), "", "not yet: gathered for the batch");
  await clock.advance(99);
  assert.equal(fs.written.get("a.log"), "");
  await clock.advance(1);
  assert.equal(fs.written.get("a.log"), "one\ntwo\n");
  assert.equal(fs.calls.filter((c) => c.startsWith("write")).length, 1);
});

Deno.test("a full buffer is written at once, without waiting for the interval", async () => {
  const clock = new VirtualClock();
  const fs = memoryFiles();
  await using sink = logFileSink("a.log", format, { files: fs.files, clock }, { bufferChars: 10 });
  sink(record("0123456789"));
  assert.equal(fs.written.get("a.log"), "0123456789\n");
});

Deno.test("syncs run at most once per syncIntervalMs and never hold a write back", async () => {
  const clock = new VirtualClock();
  const fs = memoryFiles({ syncMs: 500, clock });
  const sink = logFileSink("a.log", format, { files: fs.files, clock });
  for (let t = 0; t < 3_000; t += 100) {
    sink(record(`at ${t}`));
    await clock.advance(100);
  }
  const writes = fs.calls.filter((c) => c.startsWith("write")).length;
  const syncs = fs.calls.filter((c) => c.startsWith("sync")).length;
  assert.equal(writes, 30, "every batch written on time, a slow sync in flight or not");
  assert.ok(syncs >= 2 && syncs <= 3, `syncs in 3 s: ${syncs}`);
  // Disposing waits for the last sync, on a slow disk too.
  await Promise.all([sink[Symbol.asyncDispose](), clock.advance(3_000)]);
  assert.equal(fs.synced.get("a.log"), fs.written.get("a.log"));
});

Deno.test("the file rotates by size at a line's end, keeping maxFiles old ones", async () => {
  const clock = new VirtualClock();
  const fs = memoryFiles();
  await using sink = logFileSink("a.log", format, { files: fs.files, clock }, {
    maxBytes: 20,
    maxFiles: 2,
  });
  for (let i = 0; i < 12; i++) sink(record(`line ${i}`)); // 7 bytes each
  await clock.advance(100);
  // 14 bytes (two lines) fit under 20; the oldest files beyond two are gone.
  assert.deepEqual(Object.fromEntries(fs.written), {
    "a.log": "line 10\nline 11\n",
    "a.log.1": "line 8\nline 9\n",
    "a.log.2": "line 6\nline 7\n",
  });
});

Deno.test("disposing writes what is left, syncs and closes", async () => {
  const clock = new VirtualClock();
  const fs = memoryFiles();
  const sink = logFileSink("a.log", format, { files: fs.files, clock });
  sink(record("last words"));
  await sink[Symbol.asyncDispose]();
  assert.equal(fs.synced.get("a.log"), "last words\n");
  assert.equal(fs.calls.at(-1), "close a.log");
  assert.equal(clock.pendingTimers, 0, "no timer outlives the sink");
});

Deno.test("a write the file refuses keeps its lines for the next one; logging never throws", async () => {
  const clock = new VirtualClock();
  const fs = memoryFiles();
  await using sink = logFileSink("a.log", format, { files: fs.files, clock });
  fs.refuseWrites(true);
  sink(record("kept"));
  await clock.advance(100);
  fs.refuseWrites(false);
  sink(record("next"));
  await clock.advance(100);
  assert.equal(fs.written.get("a.log"), "kept\nnext\n");
});
