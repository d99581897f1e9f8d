import { systemClock } from "../clock/mod.ts";
import {
  type AgentConfig,
  chainProviders,
  type VoicePlayback,
  voicePlayback,
} from "../config/mod.ts";
import { ConfigError } from "../errors.ts";
import { createAlerting } from "../alerts/mod.ts";
import { InMemoryOutbox } from "../ledger/mod.ts";
import { createServices } from "../services/mod.ts";
import { createSheetsSink } from "../sheets/mod.ts";
import { type CliIo, ExitCode } from "./cli_io.ts";
import { loadCommandConfig, parseCommandArgs } from "./command_args.ts";
import { voiceLine } from "./telephony_setup.ts";

export const checkConfigHelp = `Usage: ai-call-agent check-config [--config FILE]

Validates the configuration (config/defaults.ts merged with FILE) and the environment: every
real service, alert channel and the Sheets log need their secrets' environment variables. Prints the effective
configuration as JSON; secrets are never printed, only whether each variable is set. Says
whether calls can play a synthesized voice: when they cannot, none is paid for.

Exit codes: 0 valid, 2 invalid (every problem is listed by path).`;

/** The environment variables the config names for secrets, per service in use. */
export function secretVariables(config: AgentConfig): string[] {
  const { telephony, crm } = config.services;
  const names: string[] = [];
  for (const { section } of chainProviders(config, "llm")) {
    if (section.kind === "openai") names.push(section.openai.apiKeyEnv);
    if (section.kind === "anthropic") names.push(section.anthropic.apiKeyEnv);
  }
  for (const { section } of chainProviders(config, "tts")) {
    if (section.kind === "elevenlabs") names.push(section.elevenlabs.apiKeyEnv);
    if (section.kind === "openai") names.push(section.openai.apiKeyEnv);
  }
  if (telephony.kind === "twilio") names.push(telephony.twilio.authTokenEnv);
  if (config.ledger.kind === "postgres") names.push(config.ledger.urlEnv);
  if (crm.kind === "hubspot") names.push(crm.hubspot.tokenEnv);
  if (crm.kind === "webhook" && crm.webhook.tokenEnv) names.push(crm.webhook.tokenEnv);
  for (const channel of Object.values(config.alerts.channels)) {
    if (channel.kind === "telegram") names.push(channel.tokenEnv);
    if (channel.kind === "resend" || channel.kind === "sendgrid") names.push(channel.apiKeyEnv);
    if (channel.kind === "webhook") names.push(channel.secretEnv);
  }
  if (config.sheets.enabled && !config.sheets.keyFile) names.push(config.sheets.keyEnv);
  names.push(config.server.adminTokenEnv);
  return [...new Set(names)];
}

/** `check-config`: validates config and environment, prints the effective config. */
export async function checkConfigCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(args, {
    config: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, checkConfigHelp);
  if (values.help) {
    io.out(checkConfigHelp);
    return ExitCode.ok;
  }
  const config = await loadCommandConfig(values.config, io);
  const environment = Object.fromEntries(
    secretVariables(config).map((name) => [name, io.env(name)?.trim() ? "set" : "missing"]),
  );
  const problems: string[] = [];
  const collect = async (build: () => unknown) => {
    try {
      await build();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  };
  let voice: VoicePlayback | undefined;
  await collect(() => (voice = voicePlayback(config)));
  const deps = { clock: systemClock, random: Math.random, fetch: io.fetch, env: io.env };
  await collect(() => createServices(config, { ...deps, writeFile: io.writeFile }));
  await collect(() => createAlerting(config, { ...deps, outbox: new InMemoryOutbox() }));
  await collect(() =>
    createSheetsSink(config, {
      ...deps,
      outbox: new InMemoryOutbox(),
      readTextFile: io.readTextFile,
    })
  );
  if (problems.length > 0) {
    io.out(JSON.stringify({ config, environment }, null, 2));
    throw new ConfigError(problems);
  }
  io.out(JSON.stringify({ config, environment }, null, 2));
  if (voice) io.err(`voice: ${voiceLine(voice)}`);
  io.err("configuration is valid");
  return ExitCode.ok;
}
