import { getLogger } from "@logtape/logtape";
import { createAgent, logAgentEvent, reportProgress, summaryLine } from "../agent/mod.ts";
import { type Clock, networkTurns, systemClock } from "../clock/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import { loadContacts } from "../contacts/mod.ts";
import { thisProcess } from "../ledger/mod.ts";

import { budgetDeferral, type RunSummary, settleCallPrices } from "../processor/mod.ts";
import { createServices } from "../services/mod.ts";
import { createSheetsSink } from "../sheets/mod.ts";
import { type CliIo, ExitCode, signalExitCode } from "./cli_io.ts";
import { UsageError } from "./usage_error.ts";
import { configureCommandLogging, loadCommandConfig, parseCommandArgs } from "./command_args.ts";
import { createStatusApp, loopbackHosts } from "../server/mod.ts";
import {
  bindStatusServer,
  checkWritableFolders,
  loadDoNotCall,
  openContactsFile,
  openRunLedger,
} from "./prepare_run.ts";
import { printable } from "./printable.ts";
import { telephonySetup } from "./telephony_setup.ts";
import { version } from "../version.ts";

const logger = getLogger(["ai-call-agent", "cli"]);

export const runHelp = `Usage: ai-call-agent run --contacts FILE [options]

Runs (or resumes) a campaign: loads the contacts file into the ledger, then calls every
pending contact through the configured services (mocks unless the config says otherwise).
Running it again on the same campaign never calls a completed contact twice and resumes
interrupted ones at the step that did not finish.

Options:
  --contacts FILE     CSV (.csv) or JSON Lines (.jsonl) with id, name, phone (E.164) and
                      any other columns, which are passed to the script prompt
  --campaign NAME     campaign name (default: config campaign.name)
  --db FILE           the SQLite ledger (default: config ledger.path, data/ledger.db); with
                      ledger.kind postgres, several run processes share the campaign and
                      the URL comes from the variable ledger.urlEnv names instead
  --config FILE       JSON file merged over config/defaults.ts
  --concurrency N     contacts processed at once (default: config processor.concurrency)
  --port N            status endpoint port (default: config server.port, 8080; 0: any free)
  -h, --help          show this help

Ctrl-C (SIGINT) or SIGTERM stops taking contacts, lets calls in flight finish within
processor.shutdownGraceMs, and exits 130 or 143; progress is kept. A second signal exits at once.

Exit codes: 0 every contact completed (or was skipped as not to be called), 1 some failed, were invalid or are still deferred,
2 bad usage, config, environment or contacts file, 3 every contact completed but Sheets rows
or alert messages wait undelivered (the next run sends them), 70 an internal error (a bug),
130/143 stopped by SIGINT/SIGTERM.`;

/** Options of `run`, parsed. */
export interface RunOptions {
  contacts: string;
  campaign?: string;
  db?: string;
  configPath?: string;
  concurrency?: number;
  port?: number;
}

/** Parses `run`'s arguments; throws {@link UsageError} naming the bad one. */
export function parseRunArgs(args: string[]): RunOptions | "help" {
  const values = parseCommandArgs(args, {
    contacts: { type: "string" },
    campaign: { type: "string" },
    db: { type: "string" },
    config: { type: "string" },
    concurrency: { type: "string" },
    port: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, runHelp);
  if (values.help) return "help";
  if (!values.contacts) throw new UsageError(`run needs --contacts FILE\n\n${runHelp}`);
  for (const flag of ["campaign", "db", "config"] as const) {
    if (values[flag] === "") {
      throw new UsageError(
        `--${flag} must not be empty: give the ${
          flag === "campaign" ? "campaign's name" : "file's path"
        }`,
      );
    }
  }
  let concurrency: number | undefined;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new UsageError(`--concurrency must be an integer >= 1: got "${values.concurrency}"`);
    }
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new UsageError(`--port must be an integer from 0 to 65535: got "${values.port}"`);
    }
  }
  return {
    port,
    contacts: values.contacts,
    campaign: values.campaign,
    db: values.db,
    configPath: values.config,
    concurrency,
  };
}

function loadRunConfig(options: RunOptions, io: CliIo): Promise<AgentConfig> {
  const flags: Record<string, unknown> = {};
  if (options.campaign) flags.campaign = { name: options.campaign };
  if (options.concurrency) flags.processor = { concurrency: options.concurrency };
  if (options.db) flags.ledger = { path: options.db };
  if (options.port !== undefined) flags.server = { port: options.port };
  return loadCommandConfig(options.configPath, io, { flags });
}

/** `run`: loads the contacts, works the campaign, prints the summary, returns the exit code. */
export async function runCommand(
  args: string[],
  io: CliIo,
  clock: Clock = systemClock,
): Promise<number> {
  const options = parseRunArgs(args);
  if (options === "help") {
    io.out(runHelp);
    return ExitCode.ok;
  }
  const config = await loadRunConfig(options, io);
  if (options.db && config.ledger.kind === "postgres") {
    throw new UsageError(
      `--db names a SQLite ledger file, but ledger.kind is postgres (its URL comes from ${config.ledger.urlEnv}): drop --db`,
    );
  }
  // Every secret any component reads lands here, and no message, alert or log line holds one.
  const knownSecrets = new Set<string>();
  const services = createServices(config, {
    clock,
    fetch: io.fetch,
    freshFetch: io.freshFetch,
    untracedFetch: io.untracedFetch,
    env: io.env,
    writeFile: io.writeFile,
    knownSecrets,
  });
  const telephony = telephonySetup(config, io);
  // Everything the environment can refuse is tried before a ledger or campaign row exists.
  await checkWritableFolders(config, io);
  await configureCommandLogging(config, io, {
    console: { colour: io.isTerminal, level: "warning" },
    knownSecrets,
  });
  const rows = await openContactsFile(options.contacts, config, io);
  const instance = thisProcess(clock.now());
  // The event loop's turns for the network: the load takes them all along; the workers and
  // the ledger's commits when the loop is crowded (see networkTurns).
  const turns = networkTurns(clock);
  const crowdedTurns = networkTurns(clock, { whenCrowded: true });
  await using ledger = await openRunLedger(config, io, {
    clock,
    holder: instance,
    knownSecrets,
    networkTurns: crowdedTurns,
  });
  const { store } = ledger;
  await using server = await bindStatusServer(config, io);
  // The do-not-call list is read (and checked) before any contact is loaded.
  const doNotCall = await loadDoNotCall(config, io, store, turns);
  const campaign = config.campaign.name;

  let shown = 0;
  const report = await loadContacts(store, campaign, { path: options.contacts, rows }, {
    now: () => clock.now(),
    turn: turns,
    onInvalid: (row) => {
      logger.info("Invalid contact row {line} of {source}: {reason}", { ...row });
      if (shown++ < 20) io.err(printable(`${row.source}:${row.line}: ${row.reason}`));
    },
  });
  if (shown > 20) {
    io.err(`... and ${shown - 20} more invalid rows (all are in the log and the ledger)`);
  }
  io.err(
    `loaded ${options.contacts} into campaign ${campaign}: ${report.added} new, ${report.alreadyLoaded} already in the ledger, ${report.invalidCount} invalid`,
  );
  const { callWindow } = config.campaign;
  if (callWindow.start && report.zoneUnknown > 0) {
    const told =
      `${report.zoneUnknown} contact(s) have no timezone column and a number whose area does not tell its zone: their calling hours are read in the campaign's zone, ${callWindow.timezone}`;
    io.err(told);
    logger.warning(told);
  }
  const sheets = await createSheetsSink(config, {
    clock,
    random: Math.random,
    fetch: io.fetch,
    freshFetch: io.freshFetch,
    outbox: store.outbox,
    env: io.env,
    readTextFile: io.readTextFile,
    knownSecrets,
    tracing: io.tracing,
  });
  await using agent = createAgent(config, {
    sheets,
    clock,
    random: Math.random,
    services,
    fetch: io.fetch,
    freshFetch: io.freshFetch,
    untracedFetch: io.untracedFetch,
    env: io.env,
    store,
    knownSecrets,
    callLinksKey: telephony.callLinksKey,
    doNotCall,
    tracing: io.tracing,
    networkTurns: crowdedTurns,
  });
  using _log = agent.events.on(logAgentEvent);
  const drain = new AbortController();
  const abort = new AbortController();
  let stoppedBy: "SIGINT" | "SIGTERM" | undefined;
  const graceTimer = new AbortController();
  using _signals = io.onShutdownSignal((signal) => {
    stoppedBy = signal;
    io.err(
      `${signal}: finishing calls in flight (up to ${config.processor.shutdownGraceMs} ms); again to quit at once`,
    );
    drain.abort(new DOMException(signal, "AbortError"));
    clock.sleep(config.processor.shutdownGraceMs, graceTimer.signal).then(
      () => abort.abort(new DOMException(`${signal}: grace period over`, "AbortError")),
      () => {},
    );
  });
  using status = createStatusApp({
    agent,
    clock,
    version,
    instance: { pid: instance.pid, host: instance.host },
    adminToken: io.env(config.server.adminTokenEnv)?.trim() || undefined,
    allowedHosts: withHost(loopbackHosts(config.server.host), telephony.publicHost),
    twilioAuthToken: telephony.twilioAuthToken,
    openAudio: telephony.openAudio,
  });
  server?.ready(status.fetch);
  if (server) io.err(`status: http://${config.server.host}:${server.port}/ (metrics at /metrics)`);
  io.err(telephony.startLine);
  agent.start();
  await agent.readSharedState();
  const progress = reportProgress(agent, {
    intervalMs: config.server.progressIntervalMs,
    terminal: io.isTerminal,
    write: io.errRaw,
  }, clock);
  let summary: RunSummary;
  try {
    summary = await agent.runner.run({ drain: drain.signal, abort: abort.signal });
  } finally {
    graceTimer.abort();
    await progress.stop();
    await agent.stop();
  }
  // Calls counted at an estimate get the provider's own price where it has one now (this run's
  // and earlier runs'): the spend the summary gives is the bill's, as far as it is known.
  if (
    !stoppedBy && await settleCallPrices(config.campaign.name, {
        store,
        telephony: services.telephony,
        caller: agent.caller,
      }) > 0
  ) {
    const spent = Object.values(await store.spendOf(config.campaign.name)).reduce(
      (a, b) => a + b,
      0,
    );
    summary = { ...summary, spend: { total: spent, currency: config.pricing.currency } };
  }
  // What the sinks could not deliver waits in the ledger's outboxes for the next run.
  const rowsWaiting = sheets ? await sheets.pending() : 0;
  let alertsWaiting = 0;
  for (const delivery of agent.alerts.channels()) alertsWaiting += await delivery.pending();
  io.out(summaryLine({ ...summary, rowsWaiting, alertsWaiting }));
  const atCap = summary.deferred > 0 && summary.pending + summary.in_progress === 0 &&
    (await store.deferredServices(config.campaign.name)).every((s) => s === budgetDeferral);
  if (atCap) {
    io.err(
      `${summary.deferred} contact(s) wait for a spend cap (budget): raise budget.campaign or budget.daily in the config and run again, or run again after midnight for the daily cap`,
    );
  } else if (summary.ended === "waiting-for-recovery") {
    io.err(
      `${summary.deferred} contact(s) still wait for a service to recover: run again to resume`,
    );
  }
  if (rowsWaiting + alertsWaiting > 0) {
    io.err(
      `${rowsWaiting} Sheets row(s) and ${alertsWaiting} alert message(s) could not be delivered; they wait in the ledger and the next run sends them`,
    );
  }
  if (stoppedBy) return signalExitCode[stoppedBy];
  // What this run leaves undone: the campaign's contacts not completed, and this file's invalid
  // rows (an earlier load's are not this run's doing).
  const unfinished = summary.failed + report.invalidCount + summary.deferred + summary.pending +
    summary.in_progress;
  if (atCap && summary.failed + report.invalidCount === 0) return ExitCode.budget;
  if (unfinished > 0) return ExitCode.failed;
  return rowsWaiting + alertsWaiting > 0 ? ExitCode.undelivered : ExitCode.ok;
}

/** `hosts` with the public host added (a loopback-only list would refuse the provider). */
function withHost(hosts: string[] | undefined, host?: string): string[] | undefined {
  return hosts && host ? [...hosts, host] : hosts;
}
