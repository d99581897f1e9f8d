import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import {
  type AgentConfig,
  callerNumbers,
  ttsAudioOutputs,
  type VoicePlayback,
  voicePlayback,
} from "../config/mod.ts";
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
    ? `Twilio from ${callerNumbers(telephony.twilio.from).join(", ")}`
    : "mock (no one is called)";
  const voice = voicePlayback(config);
  if (!publicBaseUrl) {
    return {
      startLine: `telephony: ${who}; ${voiceLine(voice)}; calls are followed by polling`,
    };
  }
  const token = telephony.kind === "twilio"
    ? io.env(telephony.twilio.authTokenEnv)?.trim() || undefined
    : undefined;
  // Every voice of the chain writes audio Twilio can play (or none is asked); names are
  // content hashes, so a file is looked for in each folder.
  const audioDirs = voice.playback === "link"
    ? [...new Set(ttsAudioOutputs(config).map((audio) => audio.dir))]
    : [];
  const setup: TelephonySetup = {
    callLinksKey: token
      ? createHash("sha256").update(`ai-call-agent audio links\n${token}`).digest()
      : crypto.getRandomValues(new Uint8Array(32)),
    twilioAuthToken: token,
    publicHost: new URL(publicBaseUrl).hostname.toLowerCase(),
    startLine: `telephony: ${who}; ${
      voice.playback === "link"
        ? `calls play the synthesized audio from ${publicBaseUrl}/audio/ (signed links)`
        : voiceLine(voice)
    }; status by callbacks to ${publicBaseUrl}/twilio/status`,
  };
  if (audioDirs.length > 0) {
    setup.openAudio = async (name) => {
      for (const dir of audioDirs.slice(0, -1)) {
        try {
          return await io.openFile(join(dir, basename(name)));
        } catch {
          // not in this voice's folder: the next
        }
      }
      return await io.openFile(join(audioDirs.at(-1)!, basename(name)));
    };
  }
  return setup;
}

/** What the start-up line says of the voice: played, or not asked for and why. */
export function voiceLine(voice: VoicePlayback): string {
  switch (voice.playback) {
    case "link":
      return "calls play the synthesized audio (signed links)";
    case "direct":
      return "calls play the synthesized audio";
    case "none":
      return `calls speak the script with <Say> (no voice is synthesized or paid for: ${voice.why})`;
  }
}
