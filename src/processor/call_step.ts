import { createHash } from "node:crypto";
import type { Clock } from "../clock/mod.ts";
import { isTransient, ServiceError } from "../errors.ts";
import type { DialRefusal, DialTurns, SamePhoneRule } from "../ledger/mod.ts";
import type { ServiceCaller } from "../resilience/mod.ts";
import {
  type CallState,
  type DialRequest,
  isFinalCallStatus,
  type TelephonyService,
} from "../services/mod.ts";
import {
  type CallerIds,
  type CallLinks,
  type CallUpdates,
  type CallWindow,
  machineDetectionFor,
  type MachinePolicy,
  messageLeft,
  needsServedTwiml,
} from "../telephony/mod.ts";
import { ContactNotCalled, NumberBusy, WindowClosed } from "./not_called.ts";
import { type CallProgress, type Contact, type ContactProgress, zonesOf } from "../domain/mod.ts";

/** What the call step reads from the ledger about numbers (the campaign store has it). */
export interface CallLedger {
  /** Every call any contact of any campaign recorded to `phone`: never another's to adopt. */
  recordedCalls(phone: string): Promise<string[]>;
  /** The first contact of `campaign` other than `contactId` that dialled `phone`. */
  calledBefore(campaign: string, phone: string, contactId: string): Promise<string | undefined>;
}

/** What placing calls needs besides the provider. */
export interface CallingDeps {
  /** Status changes pushed by the provider (callbacks), and markers they named. */
  updates: CallUpdates;
  /** Public links (callbacks, signed audio); unset: `<Say>` and polling. */
  links?: CallLinks;
  /** Calling hours; unset: any time. */
  window?: CallWindow;
  /** Calls already recorded, and who called a number first. */
  ledger: CallLedger;
  /** The do-not-call list, current as of the call (re-read when its file changed); unset:
   * none. */
  doNotCall?: { has(phone: string): Promise<boolean> };
  /** Which of the account's numbers calls whom; unset: the provider's own choice. */
  callerIds?: CallerIds;
  /** The campaign's dial turns (shared by its processes on a shared ledger); unset: unpaced. */
  turns?: DialTurns;
  /** Told when a call still queued at the provider was canceled as its window closed. */
  onCanceledAtClose?: (contactId: string, sid: string) => void;
}

/** How calls are placed, followed and dialled again; defaults live in `config/defaults.ts`. */
export interface CallingOptions {
  /** Call with `<Say>` when the TTS breaker is OPEN instead of deferring. */
  fallbackToSay: boolean;
  /** How the call hears a synthesized voice (`link`: fetched by the provider from a signed
   * public link; `direct`: handed to it), or `none`: it cannot, so none is synthesized and the
   * call speaks the script (`<Say>`). See `voicePlayback` in config. */
  playback: "link" | "direct" | "none";
  /** What a call does when a machine answers (`campaign.answeringMachine`), and the detection
   * `play` asks for (`twilio.machineDetection`). */
  machines: { policy: MachinePolicy; detection: "" | "Enable" | "DetectMessageEnd" };
  /** Opt-out by keypress (with public links); unset: off. */
  optOut?: { digit: string; prompt: string; confirmation: string };
  /** Calls created per second at most, as the provider counts them; 0: unpaced. */
  callsPerSecond: number;
  /** Status polls: first delay, doubling up to `maxMs`; `withCallbacksMs` when callbacks come. */
  poll: { initialMs: number; maxMs: number; withCallbacksMs: number };
  /** Busy and no-answer are dialled again `delayMs` later, up to `maxDials` dials in all. */
  redial: { maxDials: number; delayMs: number; onMachine?: boolean };
  /** Contacts sharing a number: each called in turn, or only the first. */
  samePhone: SamePhoneRule;
  /**
   * How long a dial whose answer was lost is looked for before it counts as never placed:
   * the provider may apply a create after its answer was lost, and its call list may lag
   * behind. Looked for at once and four more times over this span. 0: one look (a provider
   * whose list is current at once, as the mock's).
   */
  lostDialSettleMs: number;
}

/** Sends one counted attempt at the call step (attempts bound a contact's life). */
type CountedCall = <T>(
  fn: (signal: AbortSignal) => Promise<T>,
  options?: { mayRepeat?: (error: unknown) => boolean },
) => Promise<T>;

/** Makes the contact's progress durable; with `dial`, it records a new dial under the same-
 * number rule and returns the ledger's refusal, if any (see `CampaignStore.saveStep`). */
export type SaveProgress = (dial?: SamePhoneRule) => Promise<DialRefusal | undefined>;

/** What the call step needs from the processor for one contact. */
export interface CallStepRun {
  contact: Contact;
  progress: ContactProgress;
  campaign: string;
  script: string;
  /** The shorter message for a machine, when the campaign leaves one. */
  voicemail?: string;
  /** Sends a counted attempt through the telephony service's composition. */
  attempt: CountedCall;
  /** Makes `progress.call` durable. */
  save: SaveProgress;
  /** Told when a lost dial's call was found and adopted instead of dialling again. */
  onAdopted: (sid: string) => void;
  /** The dial was recorded by this attempt ({@link CallStep.recordDial}) and not sent yet:
   * no call can exist, nothing to look for. */
  dialRecorded?: boolean;
  signal?: AbortSignal;
}

/** Looks at the provider's call list after a lost dial: at once, then this many more times
 * spread over the settle time. */
const looksAfterFirst = 4;

/**
 * The call step. The rules it keeps:
 * - **Who may be called.** A number on the do-not-call list is never dialled (checked before
 *   each dial, against the list as its file stands); with `call-once`, a number another contact
 *   of the campaign dialled is not dialled again. Two contacts never dial one number at once:
 *   the ledger gives each dial its number and refuses a second holder.
 * - **Only once.** Each dial is recorded (with its time and a marker) before the request goes
 *   out. A dial whose answer is lost (timeout, dropped connection, 5xx, a crash) may have rung
 *   someone, so before anything is dialled again the call is looked for: a callback naming the
 *   marker, else the provider's call list, more than once over `lostDialSettleMs` (a provider
 *   may apply a create late, and its list may lag). A listed call is adopted only if no contact
 *   in the ledger recorded it, nearest the dial's time first; only when none shows up is the
 *   number dialled again.
 *
 * The call is then followed to its end by callbacks or polls with backoff.
 */
export class CallStep {
  /** Calls this step canceled in the provider's queue as their window closed (until their
   * dial is let go). */
  readonly #canceled = new Set<string>();
  /** Whether contacts are screened at all (a do-not-call list, or `call-once`): when not,
   * a contact's start costs nothing here. */
  readonly screens: boolean;

  constructor(
    readonly deps: CallingDeps & {
      telephony: TelephonyService;
      caller: ServiceCaller;
      clock: Clock;
    },
    readonly options: CallingOptions,
  ) {
    this.screens = deps.doNotCall !== undefined || options.samePhone === "call-once";
  }

  /** Whether the call plays the synthesized audio or speaks with the provider's voice. */
  voiceFor(progress: ContactProgress): "audio" | "say" {
    const { audio } = progress;
    switch (this.options.playback) {
      case "none":
        return "say";
      case "direct":
        return audio ? "audio" : "say";
      case "link":
        // Twilio's <Play> takes mp3 or wav files, fetched from a signed link (audio saved by
        // an earlier run with another format is spoken with <Say>).
        return this.deps.links && /\.(mp3|wav)$/.test(audio?.path ?? "") ? "audio" : "say";
    }
  }

  /** Undefined while `contact` may be called now; else when its calling hours open (in its
   * own zone, else in every zone its number's area spans, else in the campaign's). */
  closedUntil(contact: Contact): number | undefined {
    const { window, clock } = this.deps;
    return window?.nextOpening(clock.now(), zonesOf(contact));
  }

  /**
   * Before anything is spent on a contact that has no dial under way or done: throws
   * {@link ContactNotCalled} when its number is on the do-not-call list, or (`call-once`) was
   * already dialled for another contact of the campaign.
   */
  async screen(contact: Contact, progress: ContactProgress, campaign: string): Promise<void> {
    const call = progress.call;
    if (call?.dialing || call?.sid || call?.final) return;
    if (await this.deps.doNotCall?.has(contact.phone)) throw new ContactNotCalled("do-not-call");
    if (this.options.samePhone === "call-once") {
      const first = await this.deps.ledger.calledBefore(campaign, contact.phone, contact.id);
      if (first) throw new ContactNotCalled("duplicate-phone", first);
    }
  }

  /** Whether a new dial would be recorded now: none is under way or done, and the contact's
   * calling hours are open. */
  dialsNow(contact: Contact, progress: ContactProgress): boolean {
    const call = progress.call;
    return !call?.dialing && !call?.final && !call?.sid && this.closedUntil(contact) === undefined;
  }

  /**
   * Records the next dial in `progress.call` (its time, marker and voice) and makes it durable
   * with `save` (which may save more: the speech, in one ledger commit). Throws
   * {@link ContactNotCalled} when the number is on the do-not-call list or, `call-once`, was
   * called for another contact; {@link NumberBusy} when another contact dials it now. After a
   * throw, nothing of the dial is in `progress` or the ledger (what else `save` carries is
   * saved). `again`: the dial before this one placed no call (looked for, not found), so it is
   * recorded afresh without counting as another dial.
   */
  async recordDial(
    contact: Contact,
    progress: ContactProgress,
    campaign: string,
    save: SaveProgress,
    again = false,
  ): Promise<void> {
    const call = progress.call!;
    if (this.deps.doNotCall && await this.deps.doNotCall.has(contact.phone)) {
      if (again) {
        delete call.dialing; // the lost dial placed nothing: the number is let go
      }
      await save();
      throw new ContactNotCalled("do-not-call");
    }
    const before = { dials: call.dials, dialing: call.dialing, voice: call.voice, from: call.from };
    if (!again) call.dials++;
    const at = this.deps.clock.now();
    call.dialing = { at, marker: markerOf(campaign, contact.id, call.dials, at) };
    call.voice = this.voiceFor(progress);
    const from = this.deps.callerIds?.for(contact.phone);
    if (from) call.from = from;
    const refusal = await save(this.options.samePhone);
    if (!refusal) return;
    Object.assign(call, before);
    if (!before.dialing) delete call.dialing;
    if (!before.voice) delete call.voice;
    if (!before.from) delete call.from;
    throw refusal.reason === "phone-busy"
      ? new NumberBusy(refusal.holder)
      : new ContactNotCalled("duplicate-phone", refusal.firstContactId);
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
    const closes = this.deps.window?.closesAt(this.deps.clock.now(), zonesOf(run.contact));
    state = await this.#follow(state, run, closes);
    if (state.status === "canceled" && closes !== undefined && this.#canceled.delete(state.sid)) {
      // Canceled in the provider's queue as the window closed: it never rang. The dial is let
      // go (its call kept as an earlier one) and the contact waits for the window.
      call.previousSids.push(state.sid);
      delete call.sid;
      await this.#letGo(call, run);
      throw new WindowClosed(
        this.deps.window!.nextOpening(this.deps.clock.now(), zonesOf(run.contact)) ??
          this.deps.clock.now(),
        `call ${state.sid} was still queued at the provider when its calling hours closed: canceled before it rang, called when they open`,
      );
    }
    if (isFinalCallStatus(state.status)) {
      call.final = { status: state.status, durationS: state.durationS };
      if (state.answeredBy) call.final.answeredBy = state.answeredBy;
      if (state.price !== undefined) call.final.price = state.price;
      // What the one who answered was left with, under the campaign's policy.
      const left = messageLeft(this.options.machines.policy, state.answeredBy);
      if (left !== undefined && state.status === "completed") call.final.messageLeft = left;
      if (this.deps.updates.optedOut(state.sid)) call.final.optedOut = true;
    }
    return { state, followed };
  }

  /** Dials, unless an earlier dial's call may exist: then it is looked for first. */
  async #dialOnce(call: CallProgress, run: CallStepRun): Promise<CallState> {
    let inDoubt = call.dialing !== undefined && !run.dialRecorded;
    if (!call.dialing) await this.recordDial(run.contact, run.progress, run.campaign, run.save);
    while (true) {
      if (inDoubt) {
        const found = await this.#findLostCall(call, run);
        if (found) {
          run.onAdopted(found.sid);
          return found;
        }
        // The provider has had time to show the call and did not: the lost dial placed none.
        await this.recordDial(run.contact, run.progress, run.campaign, run.save, true);
      }
      await this.#waitForTurn(call, run);
      const request = this.#requestFor(call, run);
      try {
        return await run.attempt(
          (signal) => this.deps.telephony.dial(request, { signal }),
          { mayRepeat: isRejectedForSure },
        );
      } catch (error) {
        if (!mayHavePlacedCall(error)) throw error;
        inDoubt = true;
      }
    }
  }

  /**
   * Waits for the dial's turn among the campaign's calls (holding no slot meanwhile). A turn
   * that comes after the contact's calling hours close is not used: the dial recorded for it is
   * let go and {@link WindowClosed} thrown.
   */
  async #waitForTurn(call: CallProgress, run: CallStepRun): Promise<void> {
    const { turns, clock, window } = this.deps;
    const perSecond = this.options.callsPerSecond;
    if (!turns || !(perSecond > 0)) return;
    // Turns are a fifth wider than 1/perSecond: what delays a create on its way (a busy event
    // loop, a slow connection) must not put two of them in the provider's same second.
    const turn = await turns.next(run.campaign, clock.now(), (1_000 / perSecond) * 1.2);
    const zones = zonesOf(run.contact);
    const closes = window?.closesAt(clock.now(), zones);
    if (closes !== undefined && turn >= closes) {
      await this.#letGo(call, run);
      throw new WindowClosed(
        window!.nextOpening(closes, zones) ?? closes,
        `its turn among the campaign's calls (${
          new Date(turn).toISOString()
        }) comes after its calling hours close: called when they open again`,
      );
    }
    if (turn > clock.now()) await clock.sleep(turn - clock.now(), run.signal);
  }

  /** Forgets the dial recorded last, which placed no call: its number is let go. */
  async #letGo(call: CallProgress, run: CallStepRun): Promise<void> {
    call.dials = Math.max(0, call.dials - 1);
    delete call.dialing;
    delete call.from;
    await run.save();
  }

  #requestFor(call: CallProgress, run: CallStepRun): DialRequest {
    return this.requestFor(run.contact, run.progress, {
      script: run.script,
      voicemail: run.voicemail,
      marker: call.dialing!.marker,
    });
  }

  /**
   * What a dial of `contact` asks the provider: its caller number, the message (the audio's
   * signed link, or the script), machine detection as the campaign's policy needs, the
   * voicemail and opt-out, and where to post its status; with public links, the instructions
   * are served once it is answered when who answered decides them (or a key may be pressed).
   */
  requestFor(
    contact: Contact,
    progress: ContactProgress,
    dial: { script: string; voicemail?: string; marker: string },
  ): DialRequest {
    const { links } = this.deps;
    const { machines, optOut } = this.options;
    const call = progress.call;
    const detection = machineDetectionFor(machines.policy, machines.detection);
    const served = links && (needsServedTwiml(machines.policy) || optOut);
    return {
      to: contact.phone,
      ...(call?.from ? { from: call.from } : {}),
      say: dial.script,
      audioUrl: call?.voice === "audio" && progress.audio?.path
        ? links?.audio(progress.audio.path)
        : undefined,
      statusCallbackUrl: links?.statusCallback(contact.id, dial.marker),
      ...(detection ? { machineDetection: detection } : {}),
      ...(served ? { instructionsUrl: links.instructions(contact.id, dial.marker) } : {}),
      ...(dial.voicemail ? { voicemail: dial.voicemail } : {}),
      ...(optOut && links
        ? { optOut: { ...optOut, actionUrl: links.optOut(contact.id, dial.marker) } }
        : {}),
    };
  }

  /**
   * The call a lost dial placed, looked for at once and then `looksAfterFirst` more times over
   * `lostDialSettleMs` (a callback naming the dial's marker ends the wait at once); undefined
   * when no look found it.
   */
  async #findLostCall(call: CallProgress, run: CallStepRun): Promise<CallState | undefined> {
    const { clock, updates } = this.deps;
    const settleMs = this.options.lostDialSettleMs;
    const looks = settleMs > 0 ? looksAfterFirst : 0;
    const start = clock.now();
    for (let look = 0;; look++) {
      const found = await this.#lookForLostCall(call, run);
      if (found || look >= looks) return found;
      const next = start + (settleMs * (look + 1)) / looks;
      await updates.waitForMarker(call.dialing!.marker, next - clock.now(), run.signal);
    }
  }

  /** One look: the call a callback named by the dial's marker, else the listed call nearest
   * the dial's time that no contact in the ledger has recorded. */
  async #lookForLostCall(call: CallProgress, run: CallStepRun): Promise<CallState | undefined> {
    const dialing = call.dialing!;
    const named = this.deps.updates.sidOf(dialing.marker);
    if (named) return await this.#read(named, run);
    const { caller, telephony, ledger } = this.deps;
    const listed = await caller.call(
      "telephony",
      (signal) =>
        telephony.findCalls(
          { to: run.contact.phone, since: dialing.at, ...(call.from ? { from: call.from } : {}) },
          { signal },
        ),
      { signal: run.signal, context: { contactId: run.contact.id } },
    );
    if (listed.length === 0) return undefined;
    const recorded = new Set([
      ...call.previousSids,
      ...await ledger.recordedCalls(run.contact.phone),
    ]);
    let nearest: CallState | undefined;
    const distance = (state: CallState) => Math.abs((state.createdAt ?? dialing.at) - dialing.at);
    for (const state of listed) {
      if (recorded.has(state.sid)) continue;
      if (!nearest || distance(state) < distance(nearest)) nearest = state;
    }
    return nearest;
  }

  /** Waits for the call's end: pushed status changes when they come, polls otherwise. */
  async #follow(state: CallState, run: CallStepRun, closes?: number): Promise<CallState> {
    const { updates, links, clock } = this.deps;
    const { poll } = this.options;
    let delay = links ? poll.withCallbacksMs : poll.initialMs;
    // A call the provider still holds in its queue when the window closes (`closes`) is
    // canceled before it rings.
    while (!isFinalCallStatus(state.status)) {
      // The end may have been pushed before this follower started listening.
      const known = updates.latest(state.sid);
      if (known && isFinalCallStatus(known.status)) return known;
      if (state.queueTimeMs !== undefined) updates.noteQueueTime(state.queueTimeMs);
      if (closes !== undefined && state.status === "queued") {
        if (clock.now() >= closes && this.deps.telephony.cancel) {
          state = await this.#cancel(state.sid, run);
          continue;
        }
        delay = Math.max(1, Math.min(delay, closes - clock.now()));
      }
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

  /** Cancels a call still queued at the provider (not counted against the contact's attempts:
   * it places nothing), and tells of it. */
  async #cancel(sid: string, run: CallStepRun): Promise<CallState> {
    const state = await this.deps.caller.call(
      "telephony",
      (signal) => this.deps.telephony.cancel!(sid, { signal }),
      { signal: run.signal, context: { contactId: run.contact.id } },
    );
    if (state.status === "canceled") {
      this.#canceled.add(sid);
      this.deps.onCanceledAtClose?.(run.contact.id, sid);
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

/** Whether a dial that ended with `error` may have placed a call: a transient failure that was
 * not a refusal. (A breaker's refusal, a slot never granted or a shutdown also leave the dial
 * recorded and unanswered, so the next attempt looks for it too.) */
function mayHavePlacedCall(error: unknown): boolean {
  return isTransient(error) && !isRejectedForSure(error);
}

/** A dial's marker: the same for the same dial on every run, different for every dial. */
function markerOf(campaign: string, contactId: string, dial: number, at: number): string {
  return createHash("sha256").update(`${campaign}\n${contactId}\n${dial}\n${at}`).digest("hex")
    .slice(0, 20);
}
