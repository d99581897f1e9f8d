import type { BreakerRegistry } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { Emitter } from "../events/mod.ts";
import type { CampaignStore, ContactRecord, StepOutputs } from "../ledger/mod.ts";
import type { CallProcessor, Step, StepEvent } from "./call_processor.ts";
import type { ContactProgress, ContactResult, RunSummary } from "./contact_result.ts";
import { waitForRecovery } from "./wait_for_recovery.ts";

/** What a campaign run announces (besides each step's {@link StepEvent}). */
export type CampaignEvent =
  | StepEvent
  | { type: "run-start"; campaign: string; contacts: number }
  | { type: "resumed"; contacts: number }
  | { type: "contact-start"; contactId: string; resumedAt?: string; deferrals: number }
  | { type: "contact-done"; result: ContactResult; deferrals: number }
  | { type: "released"; service: string; contacts: number; breakerState: string }
  | { type: "waiting-for-recovery"; services: string[] }
  | { type: "recovery-wait-over"; services: string[]; recovered: boolean };

/** Campaign run parameters; defaults live in `config/defaults.ts`. */
export interface CampaignRunnerOptions {
  campaign: string;
  /** Contacts processed at once. @default 4 */
  concurrency: number;
  /** Times a contact may be deferred by an open breaker before it fails. @default 5 */
  maxDeferrals: number;
  /** Longest wait for an open breaker once only deferred contacts are left. @default 600000 */
  recoveryWaitMs: number;
}

/** What a campaign run needs. */
export interface CampaignRunnerDeps {
  store: CampaignStore;
  processor: CallProcessor;
  breakers: BreakerRegistry;
  clock: Clock;
}

/** How a run is stopped: `drain` stops taking contacts; `abort` cancels calls in flight. */
export interface RunSignals {
  drain?: AbortSignal;
  abort?: AbortSignal;
}

/**
 * Works a campaign from the ledger: `concurrency` workers take pending contacts, save each
 * step as it finishes, and record the outcome. A contact skipped by an open breaker is
 * deferred and taken again when that breaker lets calls through (a HALF_OPEN breaker gets only
 * as many as it has trial slots), up to `maxDeferrals`. Contacts left in progress by a crash
 * resume at the step that did not finish. The run ends when nothing is pending, in progress or
 * deferred; or when deferred contacts wait longer than `recoveryWaitMs` (they stay deferred
 * for the next run); or on shutdown.
 */
export class CampaignRunner {
  readonly #options: CampaignRunnerOptions;
  readonly #deps: CampaignRunnerDeps;
  readonly #events = new Emitter<CampaignEvent>();

  constructor(options: CampaignRunnerOptions, deps: CampaignRunnerDeps) {
    for (const field of ["concurrency", "maxDeferrals"] as const) {
      const value = options[field];
      if (!Number.isInteger(value) || value < (field === "concurrency" ? 1 : 0)) {
        throw new RangeError(
          `processor.${field} must be an integer >= ${
            field === "concurrency" ? 1 : 0
          }: got ${value}`,
        );
      }
    }
    this.#options = options;
    this.#deps = deps;
    deps.processor.onEvent((event) => this.#events.emit(event));
  }

  onEvent(listener: (event: CampaignEvent) => void): Disposable {
    return this.#events.on(listener);
  }

  /** Runs until the campaign is done, waits too long on a breaker, or is stopped. */
  async run(signals: RunSignals = {}): Promise<RunSummary> {
    const { store, clock, breakers } = this.#deps;
    const { campaign } = this.#options;
    const started = clock.now();
    await store.ensureCampaign(campaign, clock.now());
    const resumed = await store.resumeInterrupted(campaign, clock.now());
    if (resumed > 0) this.#events.emit({ type: "resumed", contacts: resumed });
    const waiting = await store.counts(campaign);
    this.#events.emit({
      type: "run-start",
      campaign,
      contacts: waiting.pending + waiting.deferred,
    });
    let ended: RunSummary["ended"] = "finished";
    while (true) {
      await Promise.all(
        Array.from({ length: this.#options.concurrency }, () => this.#worker(signals)),
      );
      if (signals.drain?.aborted || signals.abort?.aborted) {
        ended = "shutdown";
        break;
      }
      const services = await store.deferredServices(campaign);
      if (services.length === 0) break;
      if (await this.#releaseRecovered(services) > 0) continue;
      this.#events.emit({ type: "waiting-for-recovery", services });
      let recovered;
      try {
        recovered = await waitForRecovery(
          services.map((service) => breakers.get(service)),
          this.#options.recoveryWaitMs,
          { clock, signal: signals.drain },
        );
      } catch {
        ended = "shutdown";
        break;
      }
      this.#events.emit({ type: "recovery-wait-over", services, recovered: recovered.length > 0 });
      if (recovered.length === 0) {
        ended = "waiting-for-recovery";
        break;
      }
    }
    const counts = await store.counts(campaign);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    return { campaign, ...counts, total, durationMs: clock.now() - started, ended };
  }

  /** Moves deferred contacts back to pending for breakers that let calls through. */
  async #releaseRecovered(services: string[]): Promise<number> {
    const { store, clock, breakers } = this.#deps;
    let released = 0;
    for (const service of services) {
      const breaker = breakers.get(service);
      if (breaker.state === "OPEN") continue;
      // HALF_OPEN gets only as many contacts as it has trial slots: the rest would be
      // refused and spend a deferral for nothing.
      const limit = breaker.state === "HALF_OPEN" ? breaker.options.halfOpenMaxCalls : -1;
      const count = await store.releaseDeferred(
        this.#options.campaign,
        service,
        clock.now(),
        limit,
      );
      if (count > 0) {
        this.#events.emit({
          type: "released",
          service,
          contacts: count,
          breakerState: breaker.state,
        });
      }
      released += count;
    }
    return released;
  }

  async #worker(signals: RunSignals): Promise<void> {
    const { store, clock } = this.#deps;
    while (!signals.drain?.aborted && !signals.abort?.aborted) {
      const record = await store.claimNext(this.#options.campaign, clock.now());
      if (!record) return;
      await this.#process(record, signals.abort);
    }
  }

  async #process(record: ContactRecord, abort?: AbortSignal): Promise<void> {
    const { store, clock, processor } = this.#deps;
    const { campaign, maxDeferrals } = this.#options;
    const id = record.contact.id;
    this.#events.emit({
      type: "contact-start",
      contactId: id,
      resumedAt: record.step,
      deferrals: record.deferrals,
    });
    const progress = progressOf(record.outputs);
    let result: ContactResult;
    try {
      result = await processor.processContact(
        record.contact,
        progress,
        abort,
        (step, current) =>
          store.saveStep(campaign, id, step, outputsOf(step, current), clock.now()),
      );
    } catch (error) {
      if (abort?.aborted) return; // stays in_progress: resumed on the next start
      throw error;
    }
    const now = clock.now();
    switch (result.status) {
      case "completed":
        await store.complete(campaign, id, result.recordId, now);
        break;
      case "failed":
        await store.fail(
          campaign,
          id,
          `${result.reason} at ${result.service ?? "processing"}: ${result.errorClass}`,
          now,
        );
        break;
      case "skipped":
        if (record.deferrals >= maxDeferrals) {
          result = {
            contactId: id,
            status: "failed",
            service: result.service,
            reason: "deferrals-exhausted",
            errorClass: "CircuitOpenError",
            message: `${result.service} stayed unavailable through ${maxDeferrals} deferrals`,
            serviceWide: false,
          };
          await store.fail(campaign, id, result.message, now);
        } else {
          await store.defer(campaign, id, result.service, now);
        }
    }
    this.#events.emit({
      type: "contact-done",
      result,
      deferrals: record.deferrals + (result.status === "skipped" ? 1 : 0),
    });
  }
}

function progressOf(outputs: StepOutputs): ContactProgress {
  return {
    script: outputs.script === undefined ? undefined : { text: outputs.script },
    audio: outputs.audio,
    recordId: outputs.crmRecordId,
  };
}

function outputsOf(step: Step, progress: ContactProgress): StepOutputs {
  switch (step) {
    case "llm":
      return { script: progress.script?.text };
    case "tts":
      return { audio: progress.audio };
    case "crm":
      return { crmRecordId: progress.recordId };
  }
}
