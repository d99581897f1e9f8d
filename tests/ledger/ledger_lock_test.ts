import assert from "node:assert/strict";
import { acquireLedgerLock, LedgerError } from "../../src/ledger/mod.ts";

const holder = { pid: 4242, host: "agent-host-1", since: Date.UTC(2026, 10, 29, 4, 0) };

Deno.test("a second holder of a ledger is refused, naming the first's pid, host and start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ledger-lock-" });
  try {
    const path = `${dir}/ledger.db`;
    {
      await using _first = await acquireLedgerLock(path, holder);
      await assert.rejects(
        acquireLedgerLock(path, { ...holder, pid: 7 }),
        (error: unknown) => {
          assert.ok(error instanceof LedgerError);
          assert.match(
            error.message,
            /is in use by another agent \(pid 4242 on agent-host-1, since 2026-11-29T04:00:00\.000Z\)/,
          );
          assert.match(error.message, /give this run its own --db/);
          return true;
        },
      );
    }
    // Released: the next process takes it, and its own identity replaces the old one.
    {
      await using _second = await acquireLedgerLock(path, { ...holder, pid: 7 });
      await assert.rejects(acquireLedgerLock(path, holder), /pid 7 on agent-host-1/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lock file left by a process that died does not block: only a live holder's lock does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ledger-lock-" });
  try {
    const path = `${dir}/ledger.db`;
    // What a SIGKILLed run leaves: the file with its identity, but no lock (the OS dropped it).
    await Deno.writeTextFile(`${path}.lock`, JSON.stringify({ ...holder, pid: 99 }) + "\n");
    await using _lock = await acquireLedgerLock(path, holder);
    const written = JSON.parse(await Deno.readTextFile(`${path}.lock`));
    assert.deepEqual(written, holder);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a holder whose identity is not yet written, or is garbage, is still refused with a readable message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ledger-lock-" });
  try {
    const path = `${dir}/ledger.db`;
    using file = await Deno.open(`${path}.lock`, { read: true, write: true, create: true });
    assert.equal(await file.tryLock(true), true);
    await assert.rejects(
      acquireLedgerLock(path, holder),
      /in use by another agent \(a process that has not yet written its pid\)/,
    );
    await file.write(new TextEncoder().encode('{"pid": 5, "host": "\\u001b[31mred"}'));
    await assert.rejects(acquireLedgerLock(path, holder), /pid 5 on \?\[31mred\)/);
    await file.unlock();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
