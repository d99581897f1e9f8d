import { ConfigError } from "../errors.ts";
import { type ChainProvider, chainProviders } from "./load_config.ts";
import type { AgentConfig } from "./schema.ts";

/** Where the voice in use writes its audio files, and in what format. */
export interface TtsAudioOutput {
  /** The setting that names the folder, for messages (`services.tts.openai.audioDir`). */
  setting: string;
  dir: string;
  /** The provider's name for the format: `mp3_44100_128` (ElevenLabs), `mp3` (OpenAI). */
  format: string;
  /** The setting that names the format, for messages. */
  formatSetting: string;
}

/** The audio file one voice of the chain writes; undefined for a mock (it writes none). An
 * empty `dir`: the voice writes no file. */
function audioOutputOf({ path, section }: ChainProvider<"tts">): TtsAudioOutput | undefined {
  switch (section.kind) {
    case "elevenlabs":
      return {
        setting: `${path}.elevenlabs.audioDir`,
        dir: section.elevenlabs.audioDir,
        format: section.elevenlabs.outputFormat,
        formatSetting: `${path}.elevenlabs.outputFormat`,
      };
    case "openai":
      return {
        setting: `${path}.openai.audioDir`,
        dir: section.openai.audioDir,
        format: section.openai.responseFormat,
        formatSetting: `${path}.openai.responseFormat`,
      };
    default:
      return undefined;
  }
}

/** The audio files each voice of the chain writes (the primary first, then each fallback),
 * leaving out those that write none (a mock, or an empty `audioDir`). */
export function ttsAudioOutputs(config: AgentConfig): TtsAudioOutput[] {
  return chainProviders(config, "tts").flatMap((provider) => {
    const output = audioOutputOf(provider);
    return output?.dir ? [output] : [];
  });
}

/** Whether Twilio's `<Play>` can play audio in `format` from a file (mp3 or wav, in either
 * provider's naming). */
export function isPlayable(format: string): boolean {
  return /^(mp3|wav)(_|$)/.test(format);
}

/**
 * How the call hears the voice the TTS chain makes:
 * - `link`: the provider fetches it from a signed link on the status server's public URL
 *   (Twilio, files in mp3 or wav);
 * - `direct`: it is handed to the provider as it is (the mock telephony, which rings no one);
 * - `none`: the call cannot play it, so no voice is asked for and the call speaks the script
 *   in the provider's own voice (`<Say>`); `why` says what to set to change that.
 */
export type VoicePlayback =
  | { playback: "link" | "direct" }
  | { playback: "none"; why: string };

/**
 * How calls hear the voice, as the config says (see {@link VoicePlayback}): the one place that
 * decides whether a voice is paid for at all. Throws {@link ConfigError} when some voices of
 * the chain could be played and others not: such a link would be paid for and never heard.
 */
export function voicePlayback(
  config: Pick<AgentConfig, "services">,
): VoicePlayback {
  const telephony = config.services.telephony;
  if (telephony.kind === "mock") return { playback: "direct" };
  if (!telephony.publicBaseUrl) {
    return {
      playback: "none",
      why:
        "Twilio fetches the audio it plays from services.telephony.publicBaseUrl, which is empty; set it to the status server's public URL to play a synthesized voice",
    };
  }
  const voices = chainProviders(config, "tts");
  const unplayable = voices.flatMap((voice) => {
    const why = whyUnplayable(voice);
    return why ? [why] : [];
  });
  if (unplayable.length === 0) return { playback: "link" };
  if (unplayable.length === voices.length) {
    return { playback: "none", why: unplayable.join("; ") };
  }
  throw new ConfigError(
    unplayable.map((why) =>
      `${why}: this voice would be paid for and never heard while the others are played; make it write mp3 or wav to a folder, or remove it from the chain`
    ),
  );
}

/** Why Twilio could not play what `voice` makes, from a file behind a public link. */
function whyUnplayable(voice: ChainProvider<"tts">): string | undefined {
  const output = audioOutputOf(voice);
  if (!output) return `${voice.path}.kind mock makes no audio file for Twilio to fetch`;
  if (!output.dir) {
    return `${output.setting} is empty, so no audio file is kept for Twilio to fetch`;
  }
  if (!isPlayable(output.format)) {
    return `${output.formatSetting} ${output.format} is not mp3 or wav, the files Twilio's <Play> plays`;
  }
  return undefined;
}
