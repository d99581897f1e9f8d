import { Buffer } from "node:buffer";
import { ServiceUnavailableError } from "../errors.ts";
import { HttpClient, type HttpDeps } from "../http/mod.ts";
import { twilioErrors } from "./_twilio_errors.ts";
import { twimlFor } from "./_twiml.ts";
import {
  type CallAnswer,
  type CallState,
  type DialRequest,
  type FindCallQuery,
  isCallStatus,
  isFinalCallStatus,
  type ServiceCallOptions,
  type TelephonyService,
} from "./types.ts";
import { malformedProbe } from "./_health_probe.ts";

/** Settings of the Twilio client. */
export interface TwilioTelephonyOptions {
  baseUrl: string;
  accountSid: string;
  /** The caller numbers (E.164), the account's: a dial names one (the first by default). */
  from: readonly string[];
  /** Read from the environment by the caller. */
  authToken: string;
  /** Seconds a call rings before it is no-answer. */
  ringTimeoutS: number;
  /** `Enable` to learn whether a person or a machine answered; empty: off. */
  machineDetection: "" | "Enable" | "DetectMessageEnd";
  /** How far Twilio's clock may be behind ours when a lost dial is looked for. */
  clockSkewMs: number;
  /** Every secret to keep out of messages (the auth token is always among them). */
  secrets?: () => readonly string[];
}

/** Pages of the call list read when looking for a lost dial (50 calls each). */
const maxPages = 10;

/** One call as Twilio's JSON has it. */
interface TwilioCall {
  sid?: unknown;
  status?: unknown;
  from?: unknown;
  to?: unknown;
  date_created?: unknown;
  duration?: unknown;
  answered_by?: unknown;
  price?: unknown;
  queue_time?: unknown;
}

/**
 * Twilio Programmable Voice (Calls API 2010-04-01): places calls with inline TwiML, reads
 * their status, and finds the call a lost dial placed. Creating a call is never sent twice by
 * the HTTP stack (a POST without an idempotency key goes out on a connection that is never
 * reused); whether to dial again after a failure is the caller's decision, after
 * {@link findCall}.
 */
export class TwilioTelephony implements TelephonyService {
  readonly name: string;
  readonly #http: HttpClient;
  readonly #options: TwilioTelephonyOptions;
  readonly #calls: string;

  constructor(options: TwilioTelephonyOptions, deps: HttpDeps, name = "telephony") {
    this.name = name;
    this.#options = options;
    this.#calls = `/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Calls`;
    const basic = Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64");
    this.#http = new HttpClient({
      service: name,
      baseUrl: options.baseUrl,
      headers: { authorization: `Basic ${basic}` },
      errors: twilioErrors,
      secrets: () => [options.authToken, basic, ...(options.secrets?.() ?? [])],
    }, deps);
  }

  async dial(request: DialRequest, options: ServiceCallOptions = {}): Promise<CallState> {
    const form = new URLSearchParams({
      To: request.to,
      From: request.from ?? this.#options.from[0],
      Timeout: String(this.#options.ringTimeoutS),
    });
    // Instructions served once it is answered (who answered then decides them), or inline.
    if (request.instructionsUrl) {
      form.set("Url", request.instructionsUrl);
      form.set("Method", "POST");
    } else {
      form.set("Twiml", twimlFor(request));
    }
    if (request.statusCallbackUrl) {
      form.set("StatusCallback", request.statusCallbackUrl);
      form.set("StatusCallbackMethod", "POST");
      for (const event of ["initiated", "ringing", "answered", "completed"]) {
        form.append("StatusCallbackEvent", event);
      }
    }
    const detection = request.machineDetection ?? this.#options.machineDetection;
    if (detection) form.set("MachineDetection", detection);
    const call = await this.#http.json<TwilioCall>({
      method: "POST",
      path: `${this.#calls}.json`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      signal: options.signal,
    });
    return this.#stateOf(call);
  }

  async findCalls(query: FindCallQuery, options: ServiceCallOptions = {}): Promise<CallState[]> {
    // Newest first: read back until calls are older than the dial could have made.
    const oldest = query.since - this.#options.clockSkewMs;
    let path: string | undefined = `${this.#calls}.json?${new URLSearchParams({
      To: query.to,
      ...(query.from ? { From: query.from } : {}),
      PageSize: "50",
    })}`;
    const ours = query.from ? [query.from] : this.#options.from;
    const found: CallState[] = [];
    for (let page = 0; path && page < maxPages; page++) {
      const body: { calls?: unknown; next_page_uri?: unknown } = await this.#http.json({
        method: "GET",
        path,
        privateUrl: true, // the contact's number is in the query
        signal: options.signal,
      });
      if (!Array.isArray(body.calls)) throw this.#malformed("a call list without calls");
      let older = false;
      for (const raw of body.calls as TwilioCall[]) {
        const call = this.#stateOf(raw);
        if (call.createdAt === undefined || call.createdAt < oldest) {
          older = call.createdAt !== undefined;
          continue;
        }
        if (raw.to !== query.to) continue;
        if (typeof raw.from === "string" && !ours.includes(raw.from)) continue;
        found.push(call);
      }
      path = !older && typeof body.next_page_uri === "string" && body.next_page_uri
        ? body.next_page_uri
        : undefined;
    }
    return found.reverse(); // the list is newest first
  }

  async getCall(sid: string, options: ServiceCallOptions = {}): Promise<CallState> {
    return this.#stateOf(
      await this.#http.json<TwilioCall>({
        method: "GET",
        path: `${this.#calls}/${encodeURIComponent(sid)}.json`,
        signal: options.signal,
      }),
    );
  }

  /** Cancels a call Twilio has not connected yet (queued or ringing): `Status=canceled`. A
   * call already answered is left as it is; the call's state after is returned either way. */
  async cancel(sid: string, options: ServiceCallOptions = {}): Promise<CallState> {
    return this.#stateOf(
      await this.#http.json<TwilioCall>({
        method: "POST",
        path: `${this.#calls}/${encodeURIComponent(sid)}.json`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ Status: "canceled" }).toString(),
        signal: options.signal,
      }),
    );
  }

  /** The TwiML a call's instructions URL answers with. */
  instructions(request: DialRequest, answer: CallAnswer): string {
    return twimlFor(request, answer);
  }

  /** Healthy when the account can be read with these credentials (the account itself: a 200
   * with anything else is unhealthy). */
  async probe(options: ServiceCallOptions = {}): Promise<void> {
    const account = await this.#http.json<{ sid?: unknown }>({
      method: "GET",
      path: `/2010-04-01/Accounts/${encodeURIComponent(this.#options.accountSid)}.json`,
      signal: options.signal,
    });
    if (account?.sid !== this.#options.accountSid) {
      throw malformedProbe(this.name, "GET /Accounts/{sid}.json", "the account");
    }
  }

  #stateOf(call: TwilioCall): CallState {
    if (typeof call?.sid !== "string" || !call.sid) throw this.#malformed("a call without a sid");
    if (typeof call.status !== "string" || !isCallStatus(call.status)) {
      throw this.#malformed(`call ${call.sid} with an unknown status`);
    }
    const state: CallState = { sid: call.sid, status: call.status };
    const created = typeof call.date_created === "string" ? Date.parse(call.date_created) : NaN;
    if (Number.isFinite(created)) state.createdAt = created;
    const duration = Number(call.duration);
    if (call.duration !== null && call.duration !== undefined && Number.isFinite(duration)) {
      state.durationS = duration;
    }
    if (typeof call.answered_by === "string" && call.answered_by) {
      state.answeredBy = call.answered_by;
    }
    const queued = Number(call.queue_time);
    if (typeof call.queue_time === "string" && call.queue_time !== "" && Number.isFinite(queued)) {
      state.queueTimeMs = queued;
    }
    if (isFinalCallStatus(state.status)) state.durationS ??= 0;
    // Twilio bills as a negative decimal string ("-0.01300"), null until it has priced the call.
    const price = Number(call.price);
    if (typeof call.price === "string" && call.price !== "" && Number.isFinite(price)) {
      state.price = Math.abs(price);
    }
    return state;
  }

  #malformed(what: string): ServiceUnavailableError {
    return new ServiceUnavailableError({
      service: this.name,
      code: "malformed_response",
      message: `Twilio answered with ${what}`,
    });
  }
}
