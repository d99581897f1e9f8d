import { dirname } from "node:path";
import type { Clock, NetworkTurns } from "../clock/mod.ts";
import { ConfigError } from "../errors.ts";
import type { CampaignStore } from "./campaign_store.ts";
import { acquireLedgerLock, type LedgerHolder } from "./ledger_lock.ts";
import { PostgresCampaignStore } from "./postgres/postgres_store.ts";
import { SqliteCampaignStore } from "./sqlite/sqlite_store.ts";

/** Which ledger to open (`ledger` in the config). */
export interface LedgerSettings {
  kind: "sqlite" | "postgres";
  /** The SQLite file, or `:memory:`. */
  path: string;
  /** The variable holding the PostgreSQL URL. */
  urlEnv: string;
  leaseMs: number;
}

/** What opening a ledger needs from outside. */
export interface OpenLedgerDeps {
  clock: Clock;
  /** This process, for the lock file and its leases' owner. */
  holder: LedgerHolder;
  mkdir: (path: string) => Promise<void>;
  env: (name: string) => string | undefined;
  /** Collects the PostgreSQL URL and its password, so no message ever shows them. */
  knownSecrets?: Set<string>;
  /** The run's turns of the event loop for the network (`networkTurns`): a SQLite ledger
   * commits after one. @default none */
  networkTurns?: NetworkTurns;
}

/** An open ledger; disposing closes the store, then lets go of its lock. */
export interface OpenLedger extends AsyncDisposable {
  store: CampaignStore;
}

/**
 * Opens, locks and migrates the ledger `settings` names, under this process's lease. SQLite:
 * the file (its folder made), held alone by this process (a second `run` on it stops here,
 * naming the holder, before anything is loaded or reset), brought up to date. PostgreSQL: the
 * URL from `urlEnv`, migrated one process at a time; several processes share it, kept apart by
 * their leases. Throws {@link ConfigError} for a missing URL variable, the lock's or the
 * store's `LedgerError`, or the file system's own error (the caller says which path).
 */
export async function openLedger(
  settings: LedgerSettings,
  deps: OpenLedgerDeps,
): Promise<OpenLedger> {
  const { holder } = deps;
  const lease = { owner: `${holder.pid}@${holder.host}/${holder.since}`, ms: settings.leaseMs };
  if (settings.kind === "postgres") {
    const store = await PostgresCampaignStore.open(postgresUrl(settings, deps), lease);
    return { store, [Symbol.asyncDispose]: () => store.close() };
  }
  const { path } = settings;
  // `:memory:` is a ledger that lives and dies with the run: no folder, no lock.
  if (path === ":memory:") {
    const store = new SqliteCampaignStore(path, lease, {
      access: "exclusive",
      clock: deps.clock,
      networkTurns: deps.networkTurns,
    });
    return { store, [Symbol.asyncDispose]: () => store.close() };
  }
  await deps.mkdir(dirname(path));
  const lock = await acquireLedgerLock(path, holder);
  try {
    // This process holds the lock file, so the store may hold the file alone.
    const store = new SqliteCampaignStore(path, lease, {
      access: "exclusive",
      clock: deps.clock,
      networkTurns: deps.networkTurns,
    });
    return {
      store,
      async [Symbol.asyncDispose]() {
        await store.close();
        await lock[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await lock[Symbol.asyncDispose]();
    throw error;
  }
}

function postgresUrl(settings: LedgerSettings, deps: OpenLedgerDeps): string {
  const variable = settings.urlEnv;
  const url = deps.env(variable)?.trim();
  if (!url) {
    throw new ConfigError([
      `ledger.urlEnv: environment variable ${variable} is not set; export it with the PostgreSQL URL (postgres://user:password@host:5432/database)`,
    ]);
  }
  deps.knownSecrets?.add(url);
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password) deps.knownSecrets?.add(password);
  } catch {
    // A URL the WHATWG parser cannot read is still a secret as a whole (added above).
  }
  return url;
}
