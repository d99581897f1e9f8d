import { createHash } from "node:crypto";
import { join } from "node:path";
import { ServiceUnavailableError } from "../errors.ts";
import { HttpClient, type HttpDeps } from "../http/mod.ts";
import { elevenLabsErrors } from "./_elevenlabs_errors.ts";
import { audioMismatch } from "./_audio_format.ts";
import type { CallScript, ServiceCallOptions, SpeechAudio, TtsService } from "./types.ts";
import { malformedProbe } from "./_malformed_probe.ts";

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

/** What the client needs from outside. */
export interface ElevenLabsDeps extends HttpDeps {
  /** Writes a file, creating its folder. */
  writeFile: (path: string, bytes: Uint8Array) => Promise<void>;
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
  readonly #writeFile: ElevenLabsDeps["writeFile"];

  constructor(options: ElevenLabsTtsOptions, deps: ElevenLabsDeps, name = "tts") {
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
    const mismatch = audioMismatch(
      outputFormat,
      response.headers.get("content-type"),
      response.body,
    );
    if (mismatch) {
      throw new ServiceUnavailableError({
        service: this.name,
        status: response.status,
        code: "malformed_response",
        message: `HTTP ${response.status} that is not ${outputFormat} audio: ${mismatch}`,
      });
    }
    const cost = Number(response.headers.get("character-cost"));
    const audio: SpeechAudio = {
      bytes: response.body,
      format: outputFormat,
      characterCost: Number.isFinite(cost) && response.headers.has("character-cost")
        ? cost
        : undefined,
    };
    if (this.#options.audioDir) {
      audio.path = join(
        this.#options.audioDir,
        `${sha256Hex(response.body)}.${extensionOf(outputFormat)}`,
      );
      await this.#writeFile(audio.path, response.body);
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

/**
 * Hex SHA-256 of `bytes`: the audio's content-derived name. Synchronous (node:crypto), so it
 * adds no real asynchronous step that a virtual clock could not see.
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function extensionOf(format: string): string {
  const codec = format.split("_")[0];
  return codec === "ulaw" || codec === "alaw" || codec === "pcm" ? `${codec}.raw` : codec;
}
