import { createHash } from "node:crypto";
import { join } from "node:path";
import { ServiceUnavailableError } from "../errors.ts";
import type { HttpDeps, HttpResponse } from "../http/mod.ts";
import { audioMismatch } from "./_audio_format.ts";
import type { SpeechAudio } from "./types.ts";

/**
 * Hex SHA-256 of `bytes`: the audio's content-derived name. Synchronous (node:crypto), so it
 * adds no real asynchronous step that a virtual clock could not see.
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** What a voice's client needs from outside: the network, and a way to keep its audio. */
export interface VoiceDeps extends HttpDeps {
  /** Writes a file, creating its folder. */
  writeFile: (path: string, bytes: Uint8Array) => Promise<void>;
}

/** Where the audio a voice made is kept, when it is. */
export interface AudioFolder {
  /** Empty: not written. */
  dir: string;
  writeFile: VoiceDeps["writeFile"];
}

/**
 * A synthesis's answer as {@link SpeechAudio}, written to `folder` under the SHA-256 of its
 * bytes (the same speech is one file however often it is made). A 200 whose body is not audio
 * in `format` (a JSON error page, a proxy's HTML) is a transient malformed response: never
 * saved, retried like a 5xx.
 */
export async function savedAudio(
  service: string,
  response: HttpResponse,
  format: string,
  folder: AudioFolder,
): Promise<SpeechAudio> {
  const mismatch = audioMismatch(format, response.headers.get("content-type"), response.body);
  if (mismatch) {
    throw new ServiceUnavailableError({
      service,
      status: response.status,
      code: "malformed_response",
      message: `HTTP ${response.status} that is not ${format} audio: ${mismatch}`,
    });
  }
  const audio: SpeechAudio = { bytes: response.body, format };
  if (folder.dir) {
    audio.path = join(folder.dir, `${sha256Hex(response.body)}.${extensionOf(format)}`);
    await folder.writeFile(audio.path, response.body);
  }
  return audio;
}

function extensionOf(format: string): string {
  const codec = format.split("_")[0];
  return codec === "ulaw" || codec === "alaw" || codec === "pcm" ? `${codec}.raw` : codec;
}
