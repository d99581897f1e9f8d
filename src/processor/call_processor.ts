import { getLogger } from "@logtape/logtape";
import { describeError } from "../errors.ts";
import { throughChain } from "./provider_chain.ts";
import { callOutcome, fallbacksUsed, outcomeBase } from "./call_outcome.ts";
import { createHash } from "node:crypto";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { Emitter } from "../events/mod.ts";
import { crmIdempotencyKey, LeaseLostError } from "../ledger/mod.ts";
import type { AttemptTrace, ServiceCaller } from "../resilience/mod.ts";
import { noTracing, type OpenSpan, type Tracing } from "../tracing/mod.ts";
import { contactSpanEnd, llmAttemptTrace } from "./contact_spans.ts";
import type { PriceList, SpendGuard } from "../spend/mod.ts";
import { ContactCosts, SpendCapReached } from "./contact_costs.ts";
import type {
  CallOutcome,
  CampaignSettings,
  LlmService,
  Services,
  TtsService,
} from "../services/mod.ts";
import { type CallingDeps, type CallingOptions, CallStep } from "./call_step.ts";
import { isMachine } from "../telephony/mod.ts";
import { ContactNotCalled, NumberBusy, WindowClosed } from "./not_called.ts";
import type { ContactResult } from "./contact_result.ts";
import { AttemptsExhausted, contactFate, deferralOf, type WhatHappened } from "./contact_fate.ts";
import { type ScriptChecks, ScriptRejected } from "./script_checks.ts";
import { ScriptStep } from "./script_step.ts";
import type { ContactRun, SaveStep, StepEvent } from "./step_events.ts";
import {
  type Contact,
  type ContactProgress,
  serviceOf,
  type Step,
  zonesOf,
} from "../domain/mod.ts";

const logger = getLogger(["ai-call-agent", "processor"]);

/** What the processor needs. */
export interface ProcessorDeps {
  services: Services;
  caller: ServiceCaller;
  breakers: BreakerRegistry;
  clock: Clock;
  /** Calling hours, public links and pushed call statuses. */
  calling: CallingDeps;
  /** What each paid request cost; unset: nothing is priced. */
  prices?: PriceList;
  /** The spend caps, checked before each paid step; unset: none. */
  budget?: SpendGuard;
  /** A span per contact, per step and per attempt. @default none */
  tracing?: Tracing;
}

/** How much a contact may cost, and how its call is made. */
export interface ProcessorOptions {
  /** Attempts at one step that reached its provider, over all runs, before the contact
   * fails. */
  maxAttemptsPerStep: number;
  calling: CallingOptions;
  /** What a script must be before its voice is paid for. */
  script: ScriptChecks;
}

/**
 * One contact through the pipeline: script (LLM), speech (TTS), the call (telephony), outcome
 * (CRM), each through its service's composition (retry, slot, breaker, deadline). Steps already in `progress` are
 * not called again, so a resumed contact costs no second LLM or TTS call; `saveStep` makes
 * each step durable before the next one starts.
 *
 * A contact fails only for what is about it: its own request rejected, or its attempts at a
 * step used up over all runs. Whatever says the *service* is broken (an open breaker, a bad
 * key or spent quota, retries run out, a long Retry-After) defers it, its finished steps kept.
 */
export class CallProcessor {
  readonly #deps: ProcessorDeps;
  readonly #campaign: CampaignSettings;
  readonly #options: ProcessorOptions;
  readonly #events = new Emitter<StepEvent>();
  /** The call step: how a dial is asked of the provider, for whoever answers it live. */
  readonly callStep: CallStep;
  readonly #scriptStep: ScriptStep;
  readonly #costs: ContactCosts;
  /** The script's and the voice's providers, the primary first. */
  readonly #chains: { llm: readonly LlmService[]; tts: readonly TtsService[] };
  readonly #tracing: Tracing;

  constructor(
    campaign: CampaignSettings,
    deps: ProcessorDeps,
    options: ProcessorOptions,
  ) {
    if (!Number.isInteger(options.maxAttemptsPerStep) || options.maxAttemptsPerStep < 1) {
      throw new RangeError(
        `processor.maxAttemptsPerStep must be an integer >= 1: got ${options.maxAttemptsPerStep}`,
      );
    }
    this.#campaign = campaign;
    this.#deps = deps;
    this.#options = options;
    this.#costs = new ContactCosts(deps.prices, deps.budget);
    this.#tracing = deps.tracing ?? noTracing;
    this.#chains = {
      llm: [deps.services.llm, ...deps.services.fallbacks?.llm ?? []],
      tts: [deps.services.tts, ...deps.services.fallbacks?.tts ?? []],
    };
    this.#scriptStep = new ScriptStep({
      campaign,
      checks: options.script,
      costs: this.#costs,
      tracing: this.#tracing,
      emit: (event) => this.#events.emit(event),
      askChain: (run, served) =>
        this.#viaChain(
          "llm",
          this.#chains.llm,
          run,
          (llm, s) => llm.writeScript(run.contact, campaign, { signal: s }),
          (llm) => llmAttemptTrace(llm, this.#tracing.captureContent),
          (llm, ask) => served(llm.name, ask),
        ),
    });
    this.callStep = new CallStep({
      ...deps.calling,
      onCanceledAtClose: (contactId, sid) =>
        this.#events.emit({ type: "call-canceled", contactId, sid }),
      telephony: deps.services.telephony,
      caller: deps.caller,
      clock: deps.clock,
    }, options.calling);
  }

  onEvent(listener: (event: StepEvent) => void): Disposable {
    return this.#events.on(listener);
  }

  /**
   * Runs `contact` from `progress` (which it updates, attempts included). Resolves with the
   * outcome; a service failure or internal error is an outcome, not a rejection. Rejects only
   * when `signal` aborted (shutdown): the contact then stays resumable. One span covers it.
   */
  processContact(
    contact: Contact,
    progress: ContactProgress,
    signal?: AbortSignal,
    saveStep: SaveStep = () => Promise.resolve(undefined),
  ): Promise<ContactResult> {
    return this.#tracing.span("contact", {
      attributes: {
        "ai_call_agent.campaign": this.#campaign.name,
        "ai_call_agent.contact.id": contact.id,
      },
    }, async (span) => {
      const result = await this.#process({ contact, progress, signal, saveStep });
      contactSpanEnd(span, result);
      return result;
    });
  }

  async #process(run: ContactRun): Promise<ContactResult> {
    const { contact, progress, signal, saveStep } = run;
    const campaign = this.#campaign;
    const blocked = this.#firstOpenBreaker(progress);
    if (blocked) {
      // Fail fast before spending anything on a contact a down service would stop anyway.
      return this.#fate(contact.id, {
        kind: "breaker-open",
        service: blocked.service,
        error: blocked.openError(),
      });
    }
    let step: Step = "llm";
    try {
      // Who may be called is decided before anything is paid for (and again before each dial).
      if (this.callStep.screens) await this.callStep.screen(contact, progress, campaign.name);
      if (progress.script) {
        this.#stepDone(contact.id, "llm", true);
      } else {
        const { provider, cost } = await this.#scriptStep.write(run);
        this.#stepDone(contact.id, "llm", false, undefined, provider, cost);
      }
      const script = progress.script!;
      step = "tts";
      const call = progress.call ??= { dials: 0, previousSids: [] };
      let dialRecorded = false;
      if (progress.audio || call.dialing) {
        this.#stepDone(contact.id, "tts", true);
      } else if (!this.#voicePlayed() || this.#sayInsteadOfAudio()) {
        // No voice is paid for that the call could not play.
        this.#stepDone(contact.id, "tts", false, undefined, "say");
      } else {
        let speechCost = 0;
        await this.#costs.mayPay(progress);
        try {
          const { value: audio, provider } = await this.#viaChain(
            "tts",
            this.#chains.tts,
            run,
            (tts, s) => tts.synthesize(script, { signal: s }),
          );
          progress.audio = {
            format: audio.format,
            byteLength: audio.bytes.byteLength,
            path: audio.path,
            sha256: createHash("sha256").update(audio.bytes).digest("hex"),
            provider,
            ...(audio.voice ? { voice: audio.voice } : {}),
          };
          speechCost = this.#costs.speech(
            progress,
            provider,
            audio.characterCost ?? script.text.length,
          );
          // The dial that follows at once is recorded in the same commit as the speech.
          if (
            this.#deps.breakers.get("telephony").state !== "OPEN" &&
            this.callStep.dialsNow(contact, progress)
          ) {
            await this.callStep.recordDial(
              contact,
              progress,
              campaign.name,
              (dial) => saveStep("tts", progress, dial),
            );
            dialRecorded = true;
          } else {
            await saveStep("tts", progress);
          }
        } catch (error) {
          // Graceful degradation, when chosen: a TTS that is down does not hold the call up.
          if (signal?.aborted || !deferralOf(error) || !this.#sayInsteadOfAudio()) throw error;
          // (a ledger refusing the save is not the TTS's failure: deferralOf says no)
        }
        this.#stepDone(
          contact.id,
          "tts",
          false,
          undefined,
          progress.audio?.provider ?? "say",
          speechCost,
        );
      }
      step = "call";
      if (call.final) {
        this.#stepDone(contact.id, "call", true);
      } else {
        // Calling hours are checked before a dial, never in the middle of one.
        const opensAt = call.dialing ? undefined : this.callStep.closedUntil(contact);
        if (opensAt !== undefined) {
          return this.#fate(contact.id, {
            kind: "outside-calling-hours",
            opensAt,
            timezone: zonesOf(contact)?.join(" and "),
          });
        }
        // A new dial is a paid step; a dial already under way (or in doubt) is followed
        // whatever the caps: a call that may be ringing is never abandoned.
        if (!call.dialing && !call.sid) await this.#costs.mayPay(progress);
        const { followed } = await this.#inStep("call", () =>
          this.callStep.run({
            contact,
            progress,
            campaign: campaign.name,
            script: script.text,
            voicemail: script.by?.voicemail,
            attempt: (fn, options) => this.#call("call", run, fn, options),
            save: (dial) => saveStep("call", progress, dial),
            onAdopted: (sid) =>
              this.#events.emit({ type: "call-adopted", contactId: contact.id, sid }),
            dialRecorded,
            signal,
          }));
        const { status, durationS, answeredBy, price } = call.final!;
        const callCost = this.#costs.call(progress, durationS ?? 0, price);
        // A call that cost something is saved with its cost at once, even one that ended as
        // it was placed (otherwise kept for the outcome's commit, which saves no spend).
        if (followed || callCost > 0) await saveStep("call", progress);
        this.#stepDone(
          contact.id,
          "call",
          false,
          `${status}${status === "completed" ? ` after ${durationS ?? 0} s` : ""}${
            answeredBy ? `, answered by ${answeredBy}` : ""
          }${
            call.final!.messageLeft === undefined
              ? ""
              : call.final!.messageLeft
              ? ", message left"
              : ", no message left"
          }${call.final!.optedOut ? ", opted out" : ""}, ${
            call.voice === "audio" ? "played the audio" : "<Say>"
          }, dial ${call.dials}`,
          "telephony",
          callCost,
        );
      }
      const final = call.final!;
      const { policy } = this.#options.calling.machines;
      const ended = this.#fate(contact.id, {
        kind: "call-ended",
        status: final.status,
        dials: call.dials,
        sid: call.sid!,
        hungUpOnMachine: policy === "hang-up" && isMachine(final.answeredBy),
      });
      if (ended !== "go-on") {
        call.previousSids.push(call.sid!);
        Object.assign(call, { sid: undefined, final: undefined, dialing: undefined });
        await saveStep("call", progress);
        return ended;
      }
      const outcome = callOutcome(contact, progress, {
        campaign: campaign.name,
        at: this.#deps.clock.now(),
        currency: this.#costs.currency,
        campaignZone: this.#deps.calling.window?.timezone,
      });
      step = "crm";
      const recordId = await this.#recordOutcome(run, outcome);
      const completed = this.#fate(contact.id, { kind: "completed", recordId });
      const fallbacks = fallbacksUsed(progress);
      return completed.status === "completed" && fallbacks
        ? { ...completed, fallbacks }
        : completed;
    } catch (error) {
      if (signal?.aborted) throw error; // shutdown: the contact stays resumable
      if (error instanceof LeaseLostError) throw error; // another process holds it now
      if (error instanceof ContactNotCalled) {
        return await this.#skip(run, error);
      }
      if (error instanceof NumberBusy) {
        return this.#fate(contact.id, { kind: "number-busy", message: error.message });
      }
      if (error instanceof WindowClosed) {
        return this.#fate(contact.id, {
          kind: "outside-calling-hours",
          opensAt: error.opensAt,
          timezone: zonesOf(contact)?.join(" and "),
        });
      }
      if (error instanceof ScriptRejected) {
        return this.#fate(contact.id, {
          kind: "script-rejected",
          rejections: progress.scriptRejections ?? {},
          last: error.message,
        });
      }
      if (error instanceof SpendCapReached) {
        const { verdict } = error;
        return verdict.cap === "per-contact"
          ? this.#fate(contact.id, { kind: "over-budget", message: verdict.message })
          : this.#fate(contact.id, {
            kind: "budget-reached",
            cap: verdict.cap,
            until: verdict.until,
            message: verdict.message,
          });
      }
      return this.#failedAt(contact.id, step, progress, error);
    }
  }

  /** The CRM step: records `outcome` under the contact's idempotency key. */
  async #recordOutcome(run: ContactRun, outcome: CallOutcome): Promise<string> {
    const { contact, progress } = run;
    const key = progress.crmKey ?? crmIdempotencyKey(this.#campaign.name, contact.id);
    const { recordId } = await this.#inStep("crm", () =>
      this.#call(
        "crm",
        run,
        (s) => this.#deps.services.crm.recordOutcome(outcome, { signal: s, idempotencyKey: key }),
      ));
    progress.recordId = recordId;
    this.#stepDone(contact.id, "crm", false);
    return recordId;
  }

  /** A contact not to be called: the CRM records why, and it ends skipped. */
  async #skip(run: ContactRun, skip: ContactNotCalled): Promise<ContactResult> {
    const { contact, progress, signal } = run;
    const outcome: CallOutcome = {
      ...outcomeBase(
        contact,
        this.#campaign.name,
        this.#deps.clock.now(),
        this.#deps.calling.window?.timezone,
      ),
      status: "skipped",
      skipped: skip.firstContactId
        ? { reason: skip.reason, firstContactId: skip.firstContactId }
        : { reason: skip.reason },
      dials: progress.call?.dials ?? 0,
    };
    if (progress.script) outcome.script = progress.script.text;
    try {
      const recordId = await this.#recordOutcome(run, outcome);
      return this.#fate(contact.id, {
        kind: "not-to-be-called",
        reason: skip.reason,
        message: skip.message,
        recordId,
        firstContactId: skip.firstContactId,
      });
    } catch (error) {
      if (signal?.aborted || error instanceof LeaseLostError) throw error;
      return this.#failedAt(contact.id, "crm", progress, error);
    }
  }

  /**
   * One step's call, bounded by the step's attempts left: it refuses to start once they are
   * used up, and its retries stop when they run out, so no contact's attempts at a step pass
   * `maxAttemptsPerStep` over all runs.
   */
  #call<T>(
    step: Step,
    run: ContactRun,
    fn: (signal: AbortSignal) => Promise<T>,
    options: {
      mayRepeat?: (error: unknown) => boolean;
      service?: string;
      trace?: AttemptTrace<T>;
    } = {},
  ): Promise<T> {
    const { progress } = run;
    const left = this.#options.maxAttemptsPerStep - (progress.attempts[step] ?? 0);
    if (left <= 0) return Promise.reject(new AttemptsExhausted(step));
    progress.lastFailure = undefined;
    return this.#deps.caller.call(options.service ?? serviceOf(step), fn, {
      signal: run.signal,
      context: { contactId: run.contact.id },
      maxAttempts: left,
      beforeAttempt: () => this.#countAhead(step, run),
      onSent: () => (progress.attempts[step] = (progress.attempts[step] ?? 0) + 1),
      onAttemptFailed: (error) => (progress.lastFailure = error),
      mayRepeat: options.mayRepeat,
      trace: options.trace,
    });
  }

  /**
   * Before a step's attempt after its first (a retry, or a resumed step), the ledger counts it
   * ahead of sending, so a crash while it is in flight cannot leave it uncounted and let a
   * later run pass the cap. (A refused attempt is taken back by the next save; the step's
   * first attempt is counted with its result, which spares the common path a write.)
   */
  async #countAhead(step: Step, run: ContactRun): Promise<void> {
    const { progress } = run;
    const made = progress.attempts[step] ?? 0;
    if (made === 0) return;
    await run.saveStep(step, {
      ...progress,
      attempts: { ...progress.attempts, [step]: made + 1 },
      unsavedCost: undefined,
    });
  }

  /** Runs one step's calls in the step's span. */
  #inStep<T>(step: Step, work: (span: OpenSpan) => Promise<T>): Promise<T> {
    return this.#tracing.span(`step ${step}`, { attributes: { "ai_call_agent.step": step } }, work);
  }

  /**
   * One step through its chain (see {@link throughChain}), each move announced. `served`, when
   * given, decides what a link's answer is worth: it gets the link and a way to ask it (again).
   */
  #viaChain<Link extends { name: string }, T>(
    step: "llm" | "tts",
    links: readonly Link[],
    run: ContactRun,
    fn: (link: Link, signal: AbortSignal) => Promise<T>,
    traceOf?: (link: Link) => AttemptTrace<T>,
    served?: (link: Link, ask: () => Promise<T>) => Promise<T>,
  ): Promise<{ value: T; provider: string }> {
    const ask = (link: Link) =>
      this.#call(step, run, (s) => fn(link, s), { service: link.name, trace: traceOf?.(link) });
    return this.#inStep(step, async (span) => {
      const result = await throughChain(
        links,
        served ? (link) => served(link, () => ask(link)) : ask,
        {
          breakers: this.#deps.breakers,
          signal: run.signal,
          onMove: ({ from, to, error }) => {
            const { errorClass, message } = describeError(error);
            this.#tracing.event("fallback", {
              "ai_call_agent.fallback.from": from,
              "ai_call_agent.fallback.to": to,
              "error.type": errorClass,
            });
            this.#events.emit({
              type: "fallback",
              contactId: run.contact.id,
              step,
              from,
              to,
              errorClass,
              error: message,
            });
          },
        },
      );
      span.set({ "ai_call_agent.provider": result.provider });
      return result;
    });
  }

  /** The contact's fate after `happened`, under this processor's rules (see
   * {@link contactFate}). */
  #fate(
    contactId: string,
    happened: Exclude<WhatHappened, { kind: "call-ended" }>,
  ): ContactResult;
  #fate(contactId: string, happened: WhatHappened): ContactResult | "go-on";
  #fate(contactId: string, happened: WhatHappened): ContactResult | "go-on" {
    const { breakers, clock } = this.#deps;
    return contactFate(contactId, happened, {
      now: clock.now(),
      maxAttemptsPerStep: this.#options.maxAttemptsPerStep,
      redial: this.#options.calling.redial,
      recoveryTimeoutMs: (service) => breakers.get(service).options.recoveryTimeoutMs,
      numberBusyRetryMs: this.#options.calling.poll.maxMs,
    });
  }

  /** The fate of a contact whose `step` failed with `error`; a bug of ours is logged. */
  #failedAt(
    contactId: string,
    step: Step,
    progress: ContactProgress,
    error: unknown,
  ): ContactResult {
    const result = this.#fate(contactId, {
      kind: "step-failed",
      step,
      error,
      attempts: progress.attempts[step] ?? 0,
      lastFailure: progress.lastFailure,
    });
    if (result.status === "failed" && result.reason === "internal-error") {
      logger.error("Contact {contactId} hit an internal error at {step}: {error}", {
        contactId,
        step,
        error,
      });
    }
    return result;
  }

  /** Whether the call speaks the script instead of waiting for a TTS that is down. */
  #sayInsteadOfAudio(): boolean {
    return this.#options.calling.fallbackToSay && this.#chainDown(this.#chains.tts);
  }

  /** Whether the call can play a synthesized voice at all: when not, none is paid for. */
  #voicePlayed(): boolean {
    return this.#options.calling.playback !== "none";
  }

  /** Whether every link of a chain has its breaker OPEN. */
  #chainDown(links: readonly { name: string }[]): boolean {
    return links.every((link) => this.#deps.breakers.get(link.name).state === "OPEN");
  }

  #stepDone(
    contactId: string,
    step: Step,
    reused: boolean,
    detail?: string,
    provider?: string,
    cost?: number,
  ): void {
    this.#events.emit({
      type: "step-done",
      contactId,
      step,
      reused,
      ...(detail ? { detail } : {}),
      ...(provider ? { provider } : {}),
      ...(cost ? { cost } : {}),
    });
  }

  #firstOpenBreaker(progress: ContactProgress) {
    const call = progress.call;
    const remaining: Step[] = [
      ...(progress.script ? [] : ["llm" as const]),
      ...(progress.audio || call?.dialing || this.#options.calling.fallbackToSay ||
          !this.#voicePlayed()
        ? []
        : ["tts" as const]),
      ...(call?.final ? [] : ["call" as const]),
      "crm",
    ];
    // A step with a chain is blocked only when every link is down; the contact then waits
    // for the primary.
    const blocked = (step: Step) =>
      step === "llm" || step === "tts"
        ? this.#chainDown(this.#chains[step])
        : this.#deps.breakers.get(serviceOf(step)).state === "OPEN";
    const step = remaining.find(blocked);
    return step ? this.#deps.breakers.get(serviceOf(step)) : undefined;
  }
}
