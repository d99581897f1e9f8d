import type { AgentConfig } from "./schema.ts";

/** Where the voice in use writes its audio files, and in what format. */
export interface TtsAudioOutput {
  /** The setting that names the folder, for messages (`services.tts.openai.audioDir`). */
  setting: string;
  dir: string;
  /** The provider's name for the format: `mp3_44100_128` (ElevenLabs), `mp3` (OpenAI). */
  format: string;
}

/** The audio files the configured TTS writes, or undefined when it writes none (a mock, or
 * an empty `audioDir`). */
export function ttsAudioOutput(config: AgentConfig): TtsAudioOutput | undefined {
  const tts = config.services.tts;
  const output = tts.kind === "elevenlabs"
    ? {
      setting: "services.tts.elevenlabs.audioDir",
      dir: tts.elevenlabs.audioDir,
      format: tts.elevenlabs.outputFormat,
    }
    : tts.kind === "openai"
    ? {
      setting: "services.tts.openai.audioDir",
      dir: tts.openai.audioDir,
      format: tts.openai.responseFormat,
    }
    : undefined;
  return output?.dir ? output : undefined;
}

/** Whether Twilio's `<Play>` can play audio in `format` from a file (mp3 or wav, in either
 * provider's naming). */
export function isPlayable(format: string): boolean {
  return /^(mp3|wav)(_|$)/.test(format);
}
