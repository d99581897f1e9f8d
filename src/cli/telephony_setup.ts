import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { type AgentConfig, isPlayable, ttsAudioOutput } from "../config/mod.ts";
import { ConfigError } from "../errors.ts";
import type { CliIo } from "./cli_io.ts";

/** What `run` hands the agent and the status server for placing calls. */
export interface TelephonySetup {
  /** Signs audio links: derived from the Twilio auth token, so links survive a restart. */
  callLinksKey?: string | Uint8Array;
  /** Checks status callbacks' signatures. */
  twilioAuthToken?: string;
  /** Serves audio files by name from the TTS folder. */
  openAudio?: (name: string) => Promise<ReadableStream<Uint8Array>>;
  /** The public host the provider reaches the status server by (allowed as `Host`). */
  publicHost?: string;
  /** The start-up line: who is called, how the call speaks and how it is followed. */
  startLine: string;
}

/**
 * How this run places calls, read from the config: a `publicBaseUrl` needs the status server
 * (it receives the callbacks and serves the audio); without one, calls speak the script with
 * `<Say>` and are followed by polling, and the start-up line says so.
 */
export function telephonySetup(
  config: AgentConfig,
  io: Pick<CliIo, "env" | "openFile">,
): TelephonySetup {
  const telephony = config.services.telephony;
  const publicBaseUrl = telephony.publicBaseUrl;
  if (publicBaseUrl && !config.server.enabled) {
    throw new ConfigError([
      "services.telephony.publicBaseUrl: the status server receives the provider's callbacks and serves the audio; set server.enabled to true, or empty publicBaseUrl",
    ]);
  }
  const who = telephony.kind === "twilio"
    ? `Twilio from ${telephony.twilio.from}`
    : "mock (no one is called)";
  const audio = ttsAudioOutput(config);
  const audioDir = audio && isPlayable(audio.format) ? audio.dir : "";
  if (!publicBaseUrl) {
    return {
      startLine:
        `telephony: ${who}; calls speak the script with <Say> (set services.telephony.publicBaseUrl to play the synthesized audio) and are followed by polling`,
    };
  }
  const token = telephony.kind === "twilio"
    ? io.env(telephony.twilio.authTokenEnv)?.trim() || undefined
    : undefined;
  const setup: TelephonySetup = {
    callLinksKey: token
      ? createHash("sha256").update(`ai-call-agent audio links\n${token}`).digest()
      : crypto.getRandomValues(new Uint8Array(32)),
    twilioAuthToken: token,
    publicHost: new URL(publicBaseUrl).hostname.toLowerCase(),
    startLine: `telephony: ${who}; ${
      audioDir
        ? `calls play the synthesized audio from ${publicBaseUrl}/audio/ (signed links)`
        : `calls speak the script with <Say> (the TTS output is not an mp3 or wav file Twilio can play)`
    }; status by callbacks to ${publicBaseUrl}/twilio/status`,
  };
  if (audioDir) {
    setup.openAudio = (name) => io.openFile(join(audioDir, basename(name)));
  }
  return setup;
}
