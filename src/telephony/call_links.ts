import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { basename } from "node:path";
import type { Clock } from "../clock/mod.ts";

/** Where the status server answers the provider: status callbacks, audio files, a call's
 * instructions once it is answered, and the key pressed to opt out. */
export const statusCallbackPath = "/twilio/status";
export const audioPath = "/audio/";
export const instructionsPath = "/twilio/twiml";
export const optOutPath = "/twilio/gather";

/** What public links need. */
export interface CallLinksOptions {
  /** The status server as the provider reaches it (a proxy or tunnel), e.g.
   * `https://agent.example.com`. */
  publicBaseUrl: string;
  /** Signs audio links. Keep it stable across restarts so links already handed out work. */
  key: string | Uint8Array;
  /** How long an audio link works. */
  audioTtlMs: number;
  clock: Clock;
}

/**
 * The links a call hands the provider: the status-callback URL (carrying the dial's marker)
 * and each audio file's URL, unguessable (HMAC-SHA256 over the file name and expiry) and
 * expiring.
 */
export class CallLinks {
  readonly #base: string;
  readonly #key: string | Uint8Array;
  readonly #ttlMs: number;
  readonly #clock: Clock;

  constructor(options: CallLinksOptions) {
    this.#base = options.publicBaseUrl.replace(/\/+$/, "");
    this.#key = options.key;
    this.#ttlMs = options.audioTtlMs;
    this.#clock = options.clock;
  }

  /** The status-callback URL of one dial of one contact. */
  statusCallback(contactId: string, marker: string): string {
    return `${this.#base}${statusCallbackPath}?${new URLSearchParams({
      contact: contactId,
      dial: marker,
    })}`;
  }

  /** Where the provider fetches one dial's instructions once it is answered. */
  instructions(contactId: string, marker: string): string {
    return this.#dialUrl(instructionsPath, contactId, marker);
  }

  /** Where the provider posts the key pressed on one dial's call. */
  optOut(contactId: string, marker: string): string {
    return this.#dialUrl(optOutPath, contactId, marker);
  }

  #dialUrl(path: string, contactId: string, marker: string): string {
    return `${this.#base}${path}?${new URLSearchParams({ contact: contactId, dial: marker })}`;
  }

  /** The public URL of a request the server received (`/twilio/status?...`): what the
   * provider signed. */
  publicUrlOf(pathAndQuery: string): string {
    return `${this.#base}${pathAndQuery}`;
  }

  /** A signed link to the audio file at `path` (served from its folder by name). */
  audio(path: string): string {
    const name = basename(path);
    const expires = Math.ceil((this.#clock.now() + this.#ttlMs) / 1000);
    return `${this.#base}${audioPath}${encodeURIComponent(name)}?${new URLSearchParams({
      exp: String(expires),
      sig: this.#sign(name, expires),
    })}`;
  }

  /** Whether an audio link is one this agent signed and has not expired. */
  verifyAudio(name: string, expires: string | undefined, signature: string | undefined): boolean {
    if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return false;
    if (Number(expires) * 1000 < this.#clock.now()) return false;
    const expected = Buffer.from(this.#sign(name, Number(expires)));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  #sign(name: string, expires: number): string {
    return createHmac("sha256", this.#key).update(`audio\n${name}\n${expires}`).digest(
      "base64url",
    );
  }
}
