import assert from "node:assert/strict";
import { phoneNumber } from "../_support/phone_numbers.ts";
import { DoNotCallFile, type DoNotCallFileIo } from "../../src/contacts/mod.ts";
import { InMemoryCampaignStore } from "../../src/ledger/mod.ts";

/** One file in memory whose text the test changes; its version moves with each change. */
function oneFile(initial: string) {
  let text = initial;
  let mtimeMs = 1;
  let stats = 0;
  let reads = 0;
  let broken = false;
  const io: DoNotCallFileIo = {
    openFile: () => {
      reads++;
      if (broken) return Promise.reject(new Deno.errors.PermissionDenied("denied"));
      return Promise.resolve(ReadableStream.from([new TextEncoder().encode(text)]));
    },
    statFile: () => {
      stats++;
      if (broken) return Promise.reject(new Deno.errors.NotFound("gone"));
      return Promise.resolve({ size: text.length, mtimeMs });
    },
  };
  return {
    io,
    write(next: string) {
      text = next;
      mtimeMs++;
    },
    break: () => (broken = true),
    get stats() {
      return stats;
    },
    get reads() {
      return reads;
    },
  };
}

Deno.test("numbers are read as contacts' phones are; comments, a header and blank lines are skipped; other lines are named", async () => {
  const file = oneFile(
    "phone\n# complaints, 2026\n+1 (415) 555-0100\n\n+14155550101,Jane Doe\n+44 20 7946 0958 # landline\n555-0199\n",
  );
  const store = new InMemoryCampaignStore();
  const list = new DoNotCallFile("dnc.txt", "spring", store.doNotCall, file.io);
  const load = await list.load();
  assert.equal(load.numbers, 3);
  assert.deepEqual(load.invalid, [{
    line: 7,
    reason:
      '"555-0199" has no country code: write it in E.164 (+ country code and number, e.g. +14155550100), or set contacts.defaultCountry (e.g. US) to read national numbers',
  }]);
  for (const phone of ["+14155550100", "+14155550101", "+442079460958"]) {
    assert.equal(await list.has(phone), true, phone);
  }
  assert.equal(await list.has("+14155550102"), false);
  assert.equal(await store.doNotCall.has("autumn", "+14155550100"), false, "per campaign");
});

Deno.test("the file is looked at before each answer and read again only when it changed", async () => {
  const file = oneFile("+14155550100\n");
  const store = new InMemoryCampaignStore();
  const reloads: number[] = [];
  const list = new DoNotCallFile("dnc.txt", "spring", store.doNotCall, file.io, {
    onReload: (load) => reloads.push(load.numbers),
  });
  await list.load();
  assert.equal(await list.has("+14155550100"), true);
  assert.equal(file.reads, 1, "unchanged: not read again");
  file.write("+14155550101\n+14155550102\n");
  assert.equal(await list.has("+14155550100"), false, "a number taken off the list");
  assert.equal(await list.has("+14155550102"), true, "a number added");
  assert.deepEqual(reloads, [2]);
  assert.equal(file.reads, 2);
});

Deno.test("concurrent dials share one look at the file", async () => {
  const file = oneFile("+14155550100\n");
  const store = new InMemoryCampaignStore();
  const list = new DoNotCallFile("dnc.txt", "spring", store.doNotCall, file.io);
  await list.load();
  const before = file.stats;
  await Promise.all(Array.from({ length: 10 }, () => list.has("+14155550100")));
  assert.equal(file.stats - before, 1);
});

Deno.test("a file that cannot be read mid-run keeps the last list in force and says so", async () => {
  const file = oneFile("+14155550100\n");
  const store = new InMemoryCampaignStore();
  const problems: unknown[] = [];
  const list = new DoNotCallFile("dnc.txt", "spring", store.doNotCall, file.io, {
    onProblem: (error) => problems.push(error),
  });
  await list.load();
  file.break();
  assert.equal(await list.has("+14155550100"), true);
  assert.equal(problems.length, 1);
  await assert.rejects(list.load(), Deno.errors.NotFound, "at start, the caller stops");
});

Deno.test("a long list gives the event loop a turn after each batch of numbers it writes", async () => {
  const numbers = Array.from({ length: 600 }, (_, i) => phoneNumber(i));
  const file = oneFile(numbers.join("\n") + "\n");
  const store = new InMemoryCampaignStore();
  let turns = 0;
  const list = new DoNotCallFile("dnc.txt", "spring", store.doNotCall, file.io, {}, {
    turn: () => Promise.resolve(void turns++),
  });
  assert.equal((await list.load()).numbers, 600);
  assert.equal(turns, 2, "after each full batch of 250");
});
