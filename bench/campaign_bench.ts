/**
 * Contacts per second through the whole pipeline (runner, processor, retry, breaker, bulkhead,
 * ledger) with zero-latency mock services: the SQLite ledger on disk against the in-memory
 * one, in the same run. Each iteration runs a fresh campaign of 1,000 contacts.
 */
import { createAgent } from "../src/agent/mod.ts";
import { seededRandom, systemClock } from "../src/clock/mod.ts";
import { parseConfig } from "../src/config/mod.ts";
import {
  type CampaignStore,
  InMemoryCampaignStore,
  SqliteCampaignStore,
} from "../src/ledger/mod.ts";
import { createMockServices } from "../src/services/mod.ts";
import type { Contact } from "../src/domain/mod.ts";
import { phoneNumber } from "../tests/_support/phone_numbers.ts";

const contactsPerRun = 1_000;
const contacts: Contact[] = Array.from({ length: contactsPerRun }, (_, i) => ({
  id: `c${i}`,
  name: `Contact ${i}`,
  phone: phoneNumber(i),
}));
const config = parseConfig({ processor: { concurrency: 4 } });
const dir = Deno.makeTempDirSync({ prefix: "campaign-bench-" });
let run = 0;

async function campaign(store: CampaignStore): Promise<void> {
  const name = `bench-${run++}`;
  await store.ensureCampaign(name, 0);
  await store.addContacts(name, contacts, 0);
  await using agent = createAgent(
    { ...config, campaign: { ...config.campaign, name } },
    {
      clock: systemClock,
      random: seededRandom(1),
      services: createMockServices({}, { clock: systemClock }),
      alertChannels: [],
      store,
    },
  );
  const summary = await agent.runner.run();
  if (summary.completed !== contactsPerRun) throw new Error(`only ${summary.completed} completed`);
}

const sqlite = new SqliteCampaignStore(`${dir}/ledger.db`);
const memory = new InMemoryCampaignStore();

Deno.bench(
  { name: "1,000 contacts, in-memory ledger", group: "campaign", baseline: true },
  async () => {
    await campaign(memory);
  },
);
Deno.bench(
  { name: "1,000 contacts, SQLite ledger (WAL, on disk)", group: "campaign" },
  async () => {
    await campaign(sqlite);
  },
);

globalThis.addEventListener("unload", () => {
  sqlite.close();
  Deno.removeSync(dir, { recursive: true });
});
