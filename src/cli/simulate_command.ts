import { type AgentEvent, logAgentEvent, narrate, summaryLine } from "../agent/mod.ts";
import { environmentError, taskWrites } from "./environment_error.ts";
import { ioTrackedFetch, seededRandom, systemClock, VirtualClock } from "../clock/mod.ts";
import type { AgentConfig } from "../config/mod.ts";

import {
  runSimulation,
  type ScenarioName,
  scenarioNamed,
  scenarios,
  simulationPage,
  withConfiguredFaults,
} from "../simulation/mod.ts";
import { type CliIo, ExitCode } from "./cli_io.ts";
import { UsageError } from "./usage_error.ts";
import { configureCommandLogging, loadCommandConfig, parseCommandArgs } from "./command_args.ts";

export const simulateHelp = `Usage: ai-call-agent simulate [options]

Runs the seed scenario through the real agent against mock services: normal calls, an
ElevenLabs outage, retries with backoff, the breaker tripping, fail-fast, recovery.

Options:
  --scenario S     seed (default): the story above; fallback: the same ElevenLabs outage
                   with a fallback voice, which keeps the campaign calling until
                   ElevenLabs is back
  --seed N         seed of the jitter's random source (default 1): same seed, same run
  --json           print only JSON Lines, one event each, on stdout
  --realtime       wait for real (about 90 s) instead of on a virtual clock
  --config FILE    JSON file merged over config/defaults.ts; a service whose
                   services.<name>.mock lists faults follows them instead of the seed
                   scenario's (times relative to the start)
  --providers P    mock (default): in-memory services; http: the real HTTP clients
                   against fake provider servers on 127.0.0.1, over real sockets
  --html FILE      also write the story as one self-contained page: each service's
                   breaker states on a time axis, each contact's attempts, retries and
                   deferrals, the alerts sent (the task may write under ./logs)
  -h, --help       show this help

Exit codes: 0 the run kept every invariant, 1 one was broken, 2 bad usage or config.`;

/** Options of `simulate`, parsed. */
export interface SimulateOptions {
  scenario: ScenarioName;
  seed: number;
  json: boolean;
  realtime: boolean;
  configPath?: string;
  providers: "mock" | "http";
  /** Where to write the story's page. */
  html?: string;
  help: boolean;
}

/** Parses `simulate`'s arguments; throws {@link UsageError} naming the bad one. */
export function parseSimulateArgs(args: string[]): SimulateOptions {
  const values = parseCommandArgs(args, {
    scenario: { type: "string", default: "seed" },
    seed: { type: "string" },
    json: { type: "boolean", default: false },
    realtime: { type: "boolean", default: false },
    config: { type: "string" },
    providers: { type: "string", default: "mock" },
    html: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, simulateHelp);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed)) {
    throw new UsageError(`--seed must be an integer: got "${values.seed}"`);
  }
  const scenario = values.scenario as ScenarioName;
  if (!scenarios.includes(scenario)) {
    throw new UsageError(
      `--scenario must be ${scenarios.join(" or ")}: got "${values.scenario}"`,
    );
  }
  if (values.providers !== "mock" && values.providers !== "http") {
    throw new UsageError(`--providers must be mock or http: got "${values.providers}"`);
  }
  return {
    scenario,
    providers: values.providers,
    seed,
    json: values.json,
    realtime: values.realtime,
    configPath: values.config,
    html: values.html,
    help: values.help,
  };
}

/** Loads the config for the simulation: defaults, the campaign renamed, what the scenario
 * needs (a fallback voice), then `--config`. */
export function loadSimulationConfig(
  configPath: string | undefined,
  io: Pick<CliIo, "readTextFile">,
  scenarioConfig: Record<string, unknown> = {},
): Promise<AgentConfig> {
  // One contact at a time keeps the story easy to follow, and a busy line is dialled again
  // 90 s later instead of an hour; --config can change both.
  const commandDefaults = {
    ...scenarioConfig,
    campaign: { name: "simulation", redial: { delayMs: 90_000 } },
    processor: { concurrency: 1 },
  };
  return loadCommandConfig(configPath, io, { commandDefaults });
}

/** `simulate`: tells the story, checks its invariants, returns the exit code. */
export async function simulateCommand(args: string[], io: CliIo): Promise<number> {
  const options = parseSimulateArgs(args);
  if (options.help) {
    io.out(simulateHelp);
    return ExitCode.ok;
  }
  const config = await loadSimulationConfig(
    options.configPath,
    io,
    scenarioNamed(options.scenario, 0).config,
  );
  await configureCommandLogging(config, io, { console: false }, taskWrites.simulate);
  const virtual = new VirtualClock();
  const liveProgress = options.realtime && io.isTerminal && !options.json;
  const clock = options.realtime ? systemClock : virtual;
  const scenario = withConfiguredFaults(
    scenarioNamed(options.scenario, clock.now()),
    config,
    clock.now(),
  );
  const story: AgentEvent[] = [];
  const result = await runSimulation(config, scenario, {
    clock,
    random: seededRandom(options.seed),
    drive: options.realtime ? (task) => task() : (task) => virtual.run(task),
    providers: options.providers,
    fetch: options.realtime ? fetch : ioTrackedFetch(virtual),
    // A live progress line under the narrative when a person watches it happen.
    progress: liveProgress ? { intervalMs: 1_000, write: io.errRaw } : undefined,
    onEvent: (event) => {
      logAgentEvent(event);
      if (options.html) story.push(event);
      if (options.json) return io.out(JSON.stringify(event));
      const line = narrate(event);
      if (line === undefined) return;
      if (liveProgress) io.errRaw("\r\x1b[2K"); // clear the progress line, print, it returns
      io.out(line);
    },
  });
  if (options.html) await writeStory(options.html, options.scenario, story, io);
  return result.violations.length === 0 ? ExitCode.ok : ExitCode.failed;
}

/** Writes the run as one page (see {@link simulationPage}). */
async function writeStory(
  path: string,
  scenario: ScenarioName,
  story: AgentEvent[],
  io: Pick<CliIo, "writeFile" | "err">,
): Promise<void> {
  const summary = story.findLast((event) => event.type === "summary");
  const page = simulationPage(story, { scenario, summary: summary ? summaryLine(summary) : "" });
  try {
    await io.writeFile(path, new TextEncoder().encode(page));
  } catch (error) {
    throw environmentError(`--html ${path}`, error, "write", taskWrites.simulate);
  }
  io.err(`wrote the story to ${path}`);
}
