import { InvalidRequestError } from "../errors.ts";
import { HttpClient } from "../http/mod.ts";
import { savedAudio, type VoiceDeps } from "./_audio_file.ts";
import { probeModelList } from "./_health_probe.ts";
import { openAiErrors } from "./_openai_errors.ts";
import type { CallScript, ServiceCallOptions, SpeechAudio, TtsService } from "./types.ts";

/** The longest text OpenAI's speech endpoint takes in one request. */
export const openAiSpeechMaxCharacters = 4_096;

/** Settings of the OpenAI speech client. */
export interface OpenAiTtsOptions {
  baseUrl: string;
  /** `gpt-4o-mini-tts`, `tts-1` or `tts-1-hd`. */
  model: string;
  /** `alloy`, `ash`, `coral`, `echo`, `fable`, `nova`, `onyx`, `sage`, `shimmer`... */
  voice: string;
  /** `mp3`, `opus`, `aac`, `flac`, `wav` or `pcm`. */
  responseFormat: string;
  /** How the voice should speak (`gpt-4o-mini-tts` only); empty: not sent. */
  instructions: string;
  /** Folder the audio files are written to; empty: not written. */
  audioDir: string;
  /** The API key, read from the environment by the caller. */
  apiKey: string;
  /** Every secret to keep out of messages (this key is always among them). */
  secrets?: () => readonly string[];
}

/**
 * Turns scripts into speech with OpenAI's `/audio/speech`, writing each to a content-named
 * file. Errors read as OpenAI's (the quota 429 stops, the rate-limit 429 waits). A script over
 * 4,096 characters is refused here, before anything is paid for: this contact's problem.
 */
export class OpenAiTts implements TtsService {
  readonly name: string;
  readonly #http: HttpClient;
  readonly #options: OpenAiTtsOptions;
  readonly #writeFile: VoiceDeps["writeFile"];

  constructor(options: OpenAiTtsOptions, deps: VoiceDeps, name = "tts") {
    this.name = name;
    this.#options = options;
    this.#writeFile = deps.writeFile;
    this.#http = new HttpClient({
      service: name,
      baseUrl: options.baseUrl,
      headers: { authorization: `Bearer ${options.apiKey}` },
      errors: openAiErrors,
      secrets: () => [options.apiKey, ...(options.secrets?.() ?? [])],
      maxBodyBytes: 50 * 1024 * 1024,
    }, deps);
  }

  async synthesize(script: CallScript, options: ServiceCallOptions = {}): Promise<SpeechAudio> {
    const { model, voice, responseFormat, instructions } = this.#options;
    if (script.text.length > openAiSpeechMaxCharacters) {
      throw new InvalidRequestError({
        service: this.name,
        code: "input_too_long",
        message:
          `the script has ${script.text.length} characters; OpenAI speech takes at most ${openAiSpeechMaxCharacters}`,
      });
    }
    const response = await this.#http.request({
      method: "POST",
      path: "/audio/speech",
      headers: { accept: "audio/*" },
      json: {
        model,
        voice,
        input: script.text,
        response_format: responseFormat,
        ...(instructions ? { instructions } : {}),
      },
      signal: options.signal,
    });
    // OpenAI does not say what a synthesis was billed, so no characterCost.
    const audio = await savedAudio(this.name, response, responseFormat, {
      dir: this.#options.audioDir,
      writeFile: this.#writeFile,
    });
    audio.voice = voice;
    return audio;
  }

  /** Healthy when the model list can be read: a 200 that is not one is unhealthy. */
  probe(options: ServiceCallOptions = {}): Promise<void> {
    return probeModelList(this.#http, this.name, "/models", options.signal);
  }
}
