import { getLogger } from "@logtape/logtape";
import { dirname } from "node:path";
import type { Clock, NetworkTurns } from "../clock/mod.ts";
import { type AgentConfig, ttsAudioOutputs, voicePlayback } from "../config/mod.ts";
import {
  type ContactRow,
  ContactsFileError,
  DoNotCallFile,
  type DoNotCallLoad,
  formatOf,
  readContacts,
} from "../contacts/mod.ts";
import { NumberPlan } from "../domain/mod.ts";
import {
  type CampaignStore,
  LedgerError,
  type LedgerHolder,
  type OpenLedger,
  openLedger,
} from "../ledger/mod.ts";
import type { CliIo } from "./cli_io.ts";
import { EnvironmentError, environmentError } from "./environment_error.ts";
import { printable } from "./printable.ts";

const logger = getLogger(["ai-call-agent", "cli"]);

/**
 * Opens the contacts file and reads its header (and first row) before anything else is
 * touched: a missing, unreadable, empty or wrongly shaped file stops the run (exit 2) before a
 * ledger or campaign row exists.
 */
export async function openContactsFile(
  path: string,
  config: AgentConfig,
  io: Pick<CliIo, "openFile">,
): Promise<AsyncIterable<ContactRow>> {
  const format = formatOf(path);
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await io.openFile(path);
  } catch (error) {
    throw environmentError(`--contacts ${path}`, error, "read");
  }
  const rows = readContacts(stream, format, config.contacts.maxRecordBytes, numberPlan(config))[
    Symbol.asyncIterator
  ]();
  let first: IteratorResult<ContactRow>;
  try {
    first = await rows.next();
  } catch (error) {
    await stream.cancel().catch(() => {});
    if (error instanceof ContactsFileError) {
      throw new ContactsFileError(`--contacts ${path}: ${error.message}`, { cause: error });
    }
    throw environmentError(`--contacts ${path}`, error, "read");
  }
  return (async function* () {
    if (!first.done) yield first.value;
    try {
      yield* { [Symbol.asyncIterator]: () => rows };
    } catch (error) {
      throw environmentError(`--contacts ${path}`, error, "read");
    }
  })();
}

/**
 * Opens the ledger the config names (see `openLedger`), naming `--db` and the fix when the
 * environment refuses it: a path the task may not write, a damaged file, a database that is
 * not a ledger, a ledger another run holds; or the PostgreSQL URL's variable and the fix.
 */
export async function openRunLedger(
  config: AgentConfig,
  io: Pick<CliIo, "mkdir" | "env">,
  deps: {
    clock: Clock;
    holder: LedgerHolder;
    knownSecrets?: Set<string>;
    networkTurns?: NetworkTurns;
  },
): Promise<OpenLedger> {
  try {
    return await openLedger(config.ledger, { ...deps, mkdir: io.mkdir, env: io.env });
  } catch (error) {
    if (config.ledger.kind === "sqlite") {
      throw environmentError(`--db ${config.ledger.path}`, error, "write");
    }
    if (!(error instanceof LedgerError)) throw error;
    throw new EnvironmentError(
      `ledger (postgres, from ${config.ledger.urlEnv}): ${error.message}; check the URL, that the server runs, and that the user may create tables`,
      { cause: error },
    );
  }
}

/** Creates the folders the run writes to (logs, the voice's audio) now, so a path the task
 * may not write stops the start, not the first contact. */
export async function checkWritableFolders(
  config: AgentConfig,
  io: Pick<CliIo, "mkdir">,
): Promise<void> {
  const folders: [string, string][] = [];
  if (config.logging.filePath) {
    folders.push([`logging.filePath ${config.logging.filePath}`, dirname(config.logging.filePath)]);
  }
  // No voice is written when none can be played (see voicePlayback).
  if (voicePlayback(config).playback !== "none") {
    for (const audio of ttsAudioOutputs(config)) {
      folders.push([`${audio.setting} ${audio.dir}`, audio.dir]);
    }
  }
  for (const [subject, folder] of folders) {
    try {
      await io.mkdir(folder);
    } catch (error) {
      throw environmentError(subject, error, "write");
    }
  }
}

/** The status server, bound before the contacts are loaded (a port in use stops the start),
 * answering 503 until `ready` hands it the app. */
export async function bindStatusServer(
  config: AgentConfig,
  io: Pick<CliIo, "serve">,
): Promise<
  {
    port: number;
    ready(handler: (request: Request) => Response | Promise<Response>): void;
  } & AsyncDisposable | undefined
> {
  if (!config.server.enabled) return undefined;
  let app: ((request: Request) => Response | Promise<Response>) | undefined;
  const starting = (request: Request) =>
    new URL(request.url).pathname === "/healthz"
      ? Response.json({ status: "starting" })
      : Response.json({ error: "starting: loading contacts" }, { status: 503 });
  try {
    const server = await io.serve((request) => (app ?? starting)(request), {
      hostname: config.server.host,
      port: config.server.port,
    });
    return {
      port: server.port,
      ready: (handler) => (app = handler),
      [Symbol.asyncDispose]: () => server.shutdown(),
    };
  } catch (error) {
    throw environmentError(
      `server ${config.server.host}:${config.server.port} (server.host, server.port, --port)`,
      error,
      "listen",
    );
  }
}

/** How the config says phones are read (contacts' and do-not-call files'). */
export function numberPlan(config: AgentConfig): NumberPlan {
  return new NumberPlan(config.contacts.defaultCountry || undefined);
}

/**
 * Reads `campaign.doNotCall` into the ledger before the contacts are loaded: a file that cannot
 * be read stops the start (exit 2), since a list that is not honoured is worse than a late
 * start; so does a line that is not a number (naming the lines), unless
 * `campaign.doNotCallBadLines` is `leave-out`, which goes on without them. Mid-run the file is
 * read again before the next dial whenever it changed; a file that then cannot be read, or holds
 * lines that cannot be, leaves the last list in force too, with a warning.
 */
export async function loadDoNotCall(
  config: AgentConfig,
  io: Pick<CliIo, "openFile" | "statFile" | "err">,
  store: CampaignStore,
  /** The run's turns of the event loop for the network, taken between the list's batches. */
  turns: () => Promise<void>,
): Promise<DoNotCallFile | undefined> {
  const path = config.campaign.doNotCall;
  if (!path) return undefined;
  const leaveOut = config.campaign.doNotCallBadLines === "leave-out";
  const list = new DoNotCallFile(path, config.campaign.name, store.doNotCall, io, {
    onReload: (load) => {
      logger.info("Do-not-call list {path} changed and was read again: {numbers} numbers", {
        path,
        numbers: load.numbers,
      });
      logProblems(path, load);
    },
    onProblem: (error) =>
      logger.warning(
        "Do-not-call list {path} could not be read again ({error}); the list read before stays in force",
        { path, error: error instanceof Error ? error.message : String(error) },
      ),
  }, { plan: numberPlan(config), leaveOutBadLines: leaveOut, turn: turns });
  let load: DoNotCallLoad;
  try {
    load = await list.load();
  } catch (error) {
    if (error instanceof ContactsFileError) {
      throw new EnvironmentError(`campaign.doNotCall ${path}: ${error.message}`, { cause: error });
    }
    throw environmentError(`campaign.doNotCall ${path}`, error, "read");
  }
  logProblems(path, load);
  for (const problem of load.invalid.slice(0, 5)) {
    io.err(printable(`${path}:${problem.line}: ${problem.reason}`));
  }
  if (load.invalidCount > 0 && !leaveOut) {
    const lines = load.invalid.slice(0, 10).map((problem) => problem.line).join(", ");
    throw new EnvironmentError(
      `campaign.doNotCall ${path}: ${load.invalidCount} line(s) cannot be read as numbers (line${
        load.invalidCount > 1 ? "s" : ""
      } ${lines}${
        load.invalidCount > 10 ? ", ..." : ""
      }), so the list may be weaker than meant and no one is called; fix them (national numbers need contacts.defaultCountry), or set campaign.doNotCallBadLines to leave-out to go on without them`,
    );
  }
  io.err(
    `do-not-call: ${load.numbers} number(s) from ${path}${
      load.invalidCount > 0
        ? `; ${load.invalidCount} line(s) are not numbers and were left out (doNotCallBadLines: leave-out)`
        : ""
    }`,
  );
  return list;
}

function logProblems(path: string, load: DoNotCallLoad): void {
  for (const problem of load.invalid) {
    logger.warning("Do-not-call list {path} line {line}: {reason}", { path, ...problem });
  }
}
