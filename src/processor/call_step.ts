import { createHash } from "node:crypto";
import type { Clock } from "../clock/mod.ts";
import { ServiceError } from "../errors.ts";
import type { CallProgress } from "../ledger/mod.ts";
import type { ServiceCaller } from "../resilience/mod.ts";
import {
  type CallState,
  type Contact,
  type DialRequest,
  isFinalCallStatus,
  type TelephonyService,
} from "../services/mod.ts";
import type { CallLinks, CallUpdates, CallWindow } from "../telephony/mod.ts";
import type { ContactProgress } from "./contact_result.ts";

/** What placing calls needs besides the provider. */
export interface CallingDeps {
  /** Status changes pushed by the provider (callbacks), and markers they named. */
  updates: CallUpdates;
  /** Public links (callbacks, signed audio); unset: `<Say>` and polling. */
  links?: CallLinks;
  /** Calling hours; unset: any time. */
  window?: CallWindow;
}

/** How calls are followed and dialled again; defaults live in `config/defaults.ts`. */
export interface CallingOptions {
  /** Call with `<Say>` when the TTS breaker is OPEN instead of deferring. @default false */
  fallbackToSay: boolean;
  /** Status polls: first delay, doubling up to `maxMs`; `withCallbacksMs` when callbacks come. */
  poll: { initialMs: number; maxMs: number; withCallbacksMs: number };
  /** Busy and no-answer are dialled again `delayMs` later, up to `maxDials` dials in all. */
  redial: { maxDials: number; delayMs: number };
}

/** Sends one counted attempt at the call step (attempts bound a contact's life). */
type CountedCall = <T>(fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/** What the call step needs from the processor for one contact. */
export interface CallStepRun {
  contact: Contact;
  progress: ContactProgress;
  campaign: string;
  script: string;
  /** Sends a counted attempt through the telephony service's composition. */
  attempt: CountedCall;
  /** Makes `progress.call` durable. */
  save: () => Promise<void>;
  /** Told when a lost dial's call was found and adopted instead of dialling again. */
  onAdopted: (sid: string) => void;
  /** The dial was recorded by this attempt ({@link CallStep.recordDial}) and not sent yet:
   * no call can exist, nothing to look for. */
  dialRecorded?: boolean;
  signal?: AbortSignal;
}

/**
 * The call step. The rule it keeps: a person is never dialled twice for one dial. Each dial
 * is recorded (with its time and a marker) before the request goes out. A dial whose answer
 * is lost (timeout, dropped connection, 5xx, a crash) may have rung someone, so every later
 * attempt first looks for the call it placed (a callback naming the marker, else the
 * provider's call list since the dial began) and adopts it; only when none exists does it
 * dial. The call is then followed to its end by callbacks or polls with backoff.
 */
export class CallStep {
  constructor(
    readonly deps: CallingDeps & {
      telephony: TelephonyService;
      caller: ServiceCaller;
      clock: Clock;
    },
    readonly options: CallingOptions,
  ) {}

  /** Whether the call was placed with the synthesized audio or the provider's voice. */
  voiceFor(progress: ContactProgress): "audio" | "say" {
    // Twilio's <Play> takes mp3 or wav files; raw telephony formats are spoken with <Say>.
    return this.deps.links && /\.(mp3|wav)$/.test(progress.audio?.path ?? "") ? "audio" : "say";
  }

  /** Undefined while `contact` may be called now; else when its calling hours open. */
  closedUntil(contact: Contact): number | undefined {
    const { window, clock } = this.deps;
    return window?.nextOpening(clock.now(), contact.timezone);
  }

  /**
   * Records the next dial in `progress.call` (its time, marker and voice) when it will be sent
   * right away (inside the calling hours; the caller knows the telephony breaker lets calls
   * through), so the caller can make it durable together with what it saves anyway (the
   * speech): one ledger commit fewer per contact. Returns whether it did.
   */
  recordDial(contact: Contact, progress: ContactProgress, campaign: string): boolean {
    const call = progress.call!;
    if (call.dialing || call.final || call.sid) return false;
    if (this.closedUntil(contact) !== undefined) return false;
    this.#newDial(call, contact, progress, campaign);
    return true;
  }

  /**
   * Places (or adopts) the call and follows it to its end: `progress.call.final` is set.
   * Resolves with whether the call had to be followed (its progress was saved on the way, and
   * its end is worth saving): a call that ended as it was placed (the mock) needs no save of
   * its own, since a resumed dial finds it.
   */
  async run(run: CallStepRun): Promise<{ state: CallState; followed: boolean }> {
    const call = run.progress.call!;
    let state: CallState;
    let followed = true;
    if (call.sid) {
      state = await this.#read(call.sid, run);
    } else {
      state = await this.#dialOnce(call, run);
      call.sid = state.sid;
      followed = !isFinalCallStatus(state.status);
      if (followed) await run.save();
    }
    state = await this.#follow(state, run);
    if (isFinalCallStatus(state.status)) {
      call.final = { status: state.status, durationS: state.durationS };
      if (state.answeredBy) call.final.answeredBy = state.answeredBy;
    }
    return { state, followed };
  }

  #newDial(call: CallProgress, contact: Contact, progress: ContactProgress, campaign: string) {
    call.dials++;
    const at = this.deps.clock.now();
    call.dialing = { at, marker: markerOf(campaign, contact.id, call.dials, at) };
    call.voice = this.voiceFor(progress);
  }

  /** Dials, unless an earlier dial's call may exist: then it is looked for first. */
  async #dialOnce(call: CallProgress, run: CallStepRun): Promise<CallState> {
    const { telephony, links } = this.deps;
    let lost = call.dialing !== undefined && !run.dialRecorded;
    if (!call.dialing) {
      this.#newDial(call, run.contact, run.progress, run.campaign);
      await run.save(); // durable before anyone is rung
    }
    const dialing = call.dialing!;
    const request: DialRequest = {
      to: run.contact.phone,
      say: run.script,
      audioUrl: call.voice === "audio" && run.progress.audio?.path
        ? links?.audio(run.progress.audio.path)
        : undefined,
      statusCallbackUrl: links?.statusCallback(run.contact.id, dialing.marker),
    };
    return await run.attempt(async (signal) => {
      if (lost) {
        const named = this.deps.updates.sidOf(dialing.marker);
        const found = named ? await telephony.getCall(named, { signal }) : await telephony.findCall(
          { to: run.contact.phone, since: dialing.at, exclude: call.previousSids },
          { signal },
        );
        if (found) {
          run.onAdopted(found.sid);
          return found;
        }
        lost = false; // the provider has no such call: dialling cannot ring anyone twice
      }
      try {
        return await telephony.dial(request, { signal });
      } catch (error) {
        lost = !isRejectedForSure(error);
        throw error;
      }
    });
  }

  /** Waits for the call's end: pushed status changes when they come, polls otherwise. */
  async #follow(state: CallState, run: CallStepRun): Promise<CallState> {
    const { updates, links } = this.deps;
    const { poll } = this.options;
    let delay = links ? poll.withCallbacksMs : poll.initialMs;
    while (!isFinalCallStatus(state.status)) {
      // The end may have been pushed before this follower started listening.
      const known = updates.latest(state.sid);
      if (known && isFinalCallStatus(known.status)) return known;
      const pushed = await updates.wait(state.sid, delay, run.signal);
      if (pushed) {
        state = pushed; // news (ringing, answered, the end): no need to ask
        continue;
      }
      state = await this.#read(state.sid, run);
      if (!links) delay = Math.min(delay * 2, poll.maxMs);
    }
    return state;
  }

  /** Reads the call's status (a poll: not counted against the contact's attempts). */
  #read(sid: string, run: CallStepRun): Promise<CallState> {
    const pushed = this.deps.updates.latest(sid);
    if (pushed && isFinalCallStatus(pushed.status)) return Promise.resolve(pushed);
    return this.deps.caller.call(
      "telephony",
      (signal) => this.deps.telephony.getCall(sid, { signal }),
      { signal: run.signal, context: { contactId: run.contact.id } },
    );
  }
}

/** Whether the provider answered a dial with a refusal, so no call exists: a 4xx. Anything
 * else (no answer, a dropped connection, a 5xx, a 2xx we could not read) may have placed one. */
function isRejectedForSure(error: unknown): boolean {
  return error instanceof ServiceError && error.status !== undefined && error.status >= 400 &&
    error.status < 500;
}

/** A dial's marker: the same for the same dial on every run, different for every dial. */
function markerOf(campaign: string, contactId: string, dial: number, at: number): string {
  return createHash("sha256").update(`${campaign}\n${contactId}\n${dial}\n${at}`).digest("hex")
    .slice(0, 20);
}
