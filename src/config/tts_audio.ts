import { chainProviders } from "./load_config.ts";
import type { AgentConfig } from "./schema.ts";

/** Where the voice in use writes its audio files, and in what format. */
export interface TtsAudioOutput {
  /** The setting that names the folder, for messages (`services.tts.openai.audioDir`). */
  setting: string;
  dir: string;
  /** The provider's name for the format: `mp3_44100_128` (ElevenLabs), `mp3` (OpenAI). */
  format: string;
}

/** The audio files each voice of the chain writes (the primary first, then each fallback),
 * leaving out those that write none (a mock, or an empty `audioDir`). */
export function ttsAudioOutputs(config: AgentConfig): TtsAudioOutput[] {
  const sections = chainProviders(config, "tts");
  return sections.flatMap(({ path, section }) => {
    const output = section.kind === "elevenlabs"
      ? {
        setting: `${path}.elevenlabs.audioDir`,
        dir: section.elevenlabs.audioDir,
        format: section.elevenlabs.outputFormat,
      }
      : section.kind === "openai"
      ? {
        setting: `${path}.openai.audioDir`,
        dir: section.openai.audioDir,
        format: section.openai.responseFormat,
      }
      : undefined;
    return output?.dir ? [output] : [];
  });
}

/** Whether Twilio's `<Play>` can play audio in `format` from a file (mp3 or wav, in either
 * provider's naming). */
export function isPlayable(format: string): boolean {
  return /^(mp3|wav)(_|$)/.test(format);
}
