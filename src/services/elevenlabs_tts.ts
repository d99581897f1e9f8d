import { HttpClient } from "../http/mod.ts";
import { elevenLabsErrors } from "./_elevenlabs_errors.ts";
import { savedAudio, type VoiceDeps } from "./_audio_file.ts";
import type { CallScript, ServiceCallOptions, SpeechAudio, TtsService } from "./types.ts";
import { malformedProbe } from "./_health_probe.ts";

/** Voice settings ElevenLabs accepts; unset fields keep the voice's own. */
export interface VoiceSettings {
  stability?: number;
  similarity_boost?: number;
  style?: number;
  use_speaker_boost?: boolean;
  speed?: number;
}

/** Settings of the ElevenLabs client. */
export interface ElevenLabsTtsOptions {
  baseUrl: string;
  voiceId: string;
  modelId: string;
  /** `mp3_44100_128` (default), `ulaw_8000` for telephony, ... */
  outputFormat: string;
  voiceSettings?: VoiceSettings;
  /** Folder the audio files are written to; empty: not written. */
  audioDir: string;
  /** The API key, read from the environment by the caller. */
  apiKey: string;
  /** Every secret to keep out of messages (this key is always among them). */
  secrets?: () => readonly string[];
}

/**
 * Turns scripts into speech with ElevenLabs, writing each to a content-named file. A 200 whose
 * body is not audio of the requested format (a JSON error page, HTML from a proxy) is a
 * malformed response, not audio. How many requests run at once is the caller's bulkhead's
 * job (sized from `services.tts.maxInFlight` and `elevenlabs.maxConcurrency`).
 */
export class ElevenLabsTts implements TtsService {
  readonly name: string;
  readonly #http: HttpClient;
  readonly #options: ElevenLabsTtsOptions;
  readonly #writeFile: VoiceDeps["writeFile"];

  constructor(options: ElevenLabsTtsOptions, deps: VoiceDeps, name = "tts") {
    if (!options.voiceId) throw new TypeError(`${name}: elevenlabs.voiceId must be set`);
    this.name = name;
    this.#options = options;
    this.#writeFile = deps.writeFile;
    this.#http = new HttpClient({
      service: name,
      baseUrl: options.baseUrl,
      headers: { "xi-api-key": options.apiKey },
      errors: elevenLabsErrors,
      secrets: () => [options.apiKey, ...(options.secrets?.() ?? [])],
      maxBodyBytes: 50 * 1024 * 1024,
    }, deps);
  }

  async synthesize(script: CallScript, options: ServiceCallOptions = {}): Promise<SpeechAudio> {
    const { signal } = options;
    const { voiceId, modelId, outputFormat, voiceSettings } = this.#options;
    const response = await this.#http.request({
      method: "POST",
      path: `/v1/text-to-speech/${encodeURIComponent(voiceId)}`,
      query: { output_format: outputFormat },
      headers: { accept: "audio/*" },
      json: { text: script.text, model_id: modelId, voice_settings: voiceSettings },
      signal,
    });
    const audio = await savedAudio(this.name, response, outputFormat, {
      dir: this.#options.audioDir,
      writeFile: this.#writeFile,
    });
    audio.voice = voiceId;
    const cost = Number(response.headers.get("character-cost"));
    if (Number.isFinite(cost) && response.headers.has("character-cost")) {
      audio.characterCost = cost;
    }
    return audio;
  }

  /** Healthy when ElevenLabs' model list can be read: a 200 that is not one is unhealthy, as a
   * synthesis that answered with something other than audio would be. */
  async probe(options: ServiceCallOptions = {}): Promise<void> {
    const body = await this.#http.json<unknown>({
      method: "GET",
      path: "/v1/models",
      signal: options.signal,
    });
    const models = Array.isArray(body) &&
      body.every((model) => typeof model?.model_id === "string");
    if (!models) throw malformedProbe(this.name, "GET /v1/models", "a list of models");
  }
}
