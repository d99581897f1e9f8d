import type { BreakerRegistry } from "../breaker/mod.ts";
import { type Clock, longestTimerMs } from "../clock/mod.ts";
import { Emitter } from "../events/mod.ts";
import { ClaimQueue } from "./_claim_queue.ts";
import { deadlinePassed } from "./contact_fate.ts";
import { type CampaignStore, type ContactRecord, LeaseLostError } from "../ledger/mod.ts";
import type { CallProcessor } from "./call_processor.ts";
import type { StepEvent } from "./step_events.ts";
import { outputsOf, progressOf, writeOutcome } from "./contact_ledger.ts";
import { DeferredContacts, type ReleasedEvent } from "./deferred_contacts.ts";
import { renewLeases } from "./lease_renewal.ts";
import {
  budgetDeferral,
  type ContactResult,
  type RunSummary,
  scheduledDeferrals,
} from "./contact_result.ts";
import type { ScriptRejections, StepAttempts, StepSpend } from "../domain/mod.ts";

/** How often a process that has no contact left to take looks whether the others have
 * finished theirs. */
const agentsFinishingPollMs = 100;
/** Contacts claimed per ledger commit, at least (more when `concurrency` is higher). */
const claimBatch = 64;

/** What a campaign run announces (besides each step's {@link StepEvent}). */
export type CampaignEvent =
  | StepEvent
  | { type: "run-start"; campaign: string; contacts: number }
  | { type: "resumed"; contacts: number }
  | { type: "contact-start"; contactId: string; resumedAt?: string; deferrals: number }
  | {
    type: "contact-done";
    result: ContactResult;
    deferrals: number;
    /** Attempts that reached a provider, per step, over all runs: the ledger's count. */
    attempts: StepAttempts;
    /** What the contact cost, per step, over all runs. */
    spend: StepSpend;
    /** Scripts rejected before its voice was paid for, per rule, over all runs. */
    scriptRejections: ScriptRejections;
    /** How its last call ended, when it was placed: who answered, whether a message was left
     * on a machine, whether the person opted out. */
    answer?: { answeredBy?: string; messageLeft?: boolean; optedOut?: boolean };
  }
  | ReleasedEvent
  | { type: "waiting-for-recovery"; services: string[] }
  | { type: "waiting-for-agents"; contacts: number }
  | { type: "lease-lost"; contactId: string }
  | { type: "recovery-wait-over"; services: string[]; recovered: boolean }
  | { type: "deadline-passed"; contacts: number };

/** Campaign run parameters; defaults live in `config/defaults.ts`. */
export interface CampaignRunnerOptions {
  campaign: string;
  /** Contacts processed at once. */
  concurrency: number;
  /** Longest wait, once only deferred contacts are left, for one of them to be takeable
   * again. */
  recoveryWaitMs: number;
  /** Clock time after which no contact is started: the rest fail with `deadline-passed`. */
  deadline?: number;
  /** The currency spend is counted in (`pricing.currency`). */
  currency?: string;
}

/** What a campaign run needs. */
export interface CampaignRunnerDeps {
  store: CampaignStore;
  processor: CallProcessor;
  breakers: BreakerRegistry;
  clock: Clock;
  /** Each service with a fallback chain, and its links' service names, the primary first:
   * a contact deferred on it is taken again once any link lets calls through. */
  chains?: Readonly<Record<string, readonly string[]>>;
  /** Waits, when the event loop has been held long enough, for a turn in which the network is
   * served (`networkTurns`): a worker asks before each contact and before and after each
   * write, so a thousand contacts going on at once (their calls ended together) never hold the
   * status server.
   * @default never waits */
  networkTurns?: () => Promise<void>;
}

/** How a run is stopped: `drain` stops taking contacts; `abort` cancels calls in flight. */
export interface RunSignals {
  drain?: AbortSignal;
  abort?: AbortSignal;
}

/**
 * Works a campaign from the ledger: `concurrency` workers take pending contacts, save each
 * step as it finishes, and record the outcome. A deferred contact is taken again once its
 * time has come and its service's breaker lets calls through (a HALF_OPEN breaker gets only
 * as many as it has trial slots). Contacts left in progress by a crash resume at the step
 * that did not finish. The run ends when nothing is pending, in progress or deferred; when
 * deferred contacts wait longer than `recoveryWaitMs` (they stay deferred for the next run);
 * at the deadline; or on shutdown. A ledger that stops accepting writes stops every worker
 * before the run rejects: nothing is called after it.
 */
export class CampaignRunner {
  readonly #options: CampaignRunnerOptions;
  readonly #deps: CampaignRunnerDeps;
  readonly #events = new Emitter<CampaignEvent>();

  constructor(options: CampaignRunnerOptions, deps: CampaignRunnerDeps) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(
        `processor.concurrency must be an integer >= 1: got ${options.concurrency}`,
      );
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
    const { store, clock } = this.#deps;
    const { campaign } = this.#options;
    const started = clock.now();
    await store.ensureCampaign(campaign, clock.now());
    const resumed = await store.resumeInterrupted(campaign, clock.now());
    if (resumed > 0) this.#events.emit({ type: "resumed", contacts: resumed });
    // Contacts an earlier run stopped at a spend cap are looked at again: the caps may have
    // been raised (they are checked again before anything is paid).
    await store.releaseDeferred(campaign, budgetDeferral, Number.MAX_SAFE_INTEGER);
    const waiting = await store.counts(campaign);
    this.#events.emit({
      type: "run-start",
      campaign,
      contacts: waiting.pending + waiting.deferred,
    });
    // A fatal error (the ledger refusing a write) stops every worker, not just its own.
    const fatal = new AbortController();
    const stop = AbortSignal.any([fatal.signal, ...(signals.abort ? [signals.abort] : [])]);
    const stopped = () => signals.drain?.aborted || stop.aborted;
    let ended: RunSummary["ended"] = "finished";
    let waitingSince: number | undefined;
    let waitingForAgents = false;
    const deferred = new DeferredContacts(
      campaign,
      this.#options.deadline,
      this.#deps,
      (event) => this.#events.emit(event),
    );
    // Leases of the contacts this process holds are renewed while it works them.
    let claims: ClaimQueue | undefined;
    const renewal = new AbortController();
    const renewing = renewLeases(store, campaign, () => claims, { clock, signal: renewal.signal });
    try {
      while (true) {
        // One claim per batch of contacts, handed out in the campaign's order: a claim is a
        // ledger commit, so a batch of at least `claimBatch` spreads its cost (claimed contacts
        // not started when the pass stops go back to pending; after a crash, resume does it).
        // Where processes share the ledger, a batch is what the workers can start at once, so
        // no process holds contacts another could be working.
        const batch = store.shared
          ? this.#options.concurrency
          : Math.max(this.#options.concurrency, claimBatch);
        const pass = new ClaimQueue(store, campaign, batch, () => clock.now());
        claims = pass;
        const results = await Promise.allSettled(
          Array.from(
            { length: this.#options.concurrency },
            () => this.#worker(pass, stopped, stop, fatal),
          ),
        );
        await pass.release().catch(() => {});
        const failure = results.find((r) => r.status === "rejected");
        if (failure) throw (failure as PromiseRejectedResult).reason;
        if (stopped()) {
          ended = "shutdown";
          break;
        }
        if (await this.#deadlinePassed()) break;
        const services = await store.deferredServices(campaign);
        if (services.length > 0 && await deferred.releaseDue(services) > 0) {
          waitingSince = undefined;
          continue;
        }
        // Contacts other processes hold: the campaign is not done until their leases end
        // (their holders finish them, or die and the leases expire to be taken over here).
        const leaseExpiry = await store.nextLeaseExpiry(campaign);
        if (leaseExpiry !== undefined) {
          if (!waitingForAgents) {
            const held = (await store.counts(campaign)).in_progress;
            this.#events.emit({ type: "waiting-for-agents", contacts: held });
          }
          waitingForAgents = true;
          try {
            await this.#waitForLeases(leaseExpiry, signals.drain);
          } catch {
            ended = "shutdown";
            break;
          }
          continue;
        }
        waitingForAgents = false;
        if (services.length === 0) {
          // Another process may have put deferred contacts back to pending (or claimed them)
          // since this pass ran dry: the campaign is finished only when one look at the
          // ledger finds nothing pending, in progress or deferred.
          const left = await store.counts(campaign);
          if (left.pending + left.in_progress + left.deferred === 0) break;
          continue;
        }
        // Contacts waiting for their calling hours or a redial are waited for as long as it
        // takes; only a wait on a service's recovery is bounded by recoveryWaitMs.
        const onServices = services.some((service) => !scheduledDeferrals.has(service));
        waitingSince ??= clock.now();
        const waitLeft = onServices
          ? waitingSince + this.#options.recoveryWaitMs - clock.now()
          : longestTimerMs;
        if (waitLeft <= 0) {
          this.#events.emit({ type: "recovery-wait-over", services, recovered: false });
          ended = "waiting-for-recovery";
          break;
        }
        this.#events.emit({ type: "waiting-for-recovery", services });
        try {
          await deferred.waitForChange(services, waitLeft, signals.drain);
        } catch {
          ended = "shutdown";
          break;
        }
      }
    } finally {
      renewal.abort();
      await renewing;
    }
    const counts = await store.counts(campaign);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const spent = Object.values(await store.spendOf(campaign)).reduce((a, b) => a + b, 0);
    return {
      campaign,
      ...counts,
      total,
      durationMs: clock.now() - started,
      ended,
      ...(spent > 0 ? { spend: { total: spent, currency: this.#options.currency ?? "" } } : {}),
    };
  }

  /** Waits until the earliest lease held elsewhere (`expiry`) may have expired, at most a tenth
   * of a second (or a third of a lease): the campaign other processes finish is seen done as
   * soon as their last contact ends, not up to a second later (three small reads per look). */
  async #waitForLeases(expiry: number, signal?: AbortSignal): Promise<void> {
    const { store, clock } = this.#deps;
    const poll = Math.min(agentsFinishingPollMs, Math.max(1, Math.floor(store.lease.ms / 3)));
    await clock.sleep(Math.min(Math.max(0, expiry + 1 - clock.now()), poll), signal);
  }

  /** At the deadline, every contact not yet finished fails with that reason. */
  async #deadlinePassed(): Promise<boolean> {
    const { deadline } = this.#options;
    const { store, clock } = this.#deps;
    if (deadline === undefined || clock.now() < deadline) return false;
    const { reason, message } = deadlinePassed(deadline);
    const failed = await store.failRemaining(
      this.#options.campaign,
      `${reason}: ${message}`,
      clock.now(),
    );
    this.#events.emit({ type: "deadline-passed", contacts: failed });
    return true;
  }

  async #worker(
    claims: ClaimQueue,
    stopped: () => boolean | undefined,
    abort: AbortSignal,
    fatal: AbortController,
  ): Promise<void> {
    const { clock } = this.#deps;
    let yieldedAt = clock.now();
    try {
      while (!stopped()) {
        if (this.#options.deadline !== undefined && clock.now() >= this.#options.deadline) return;
        await this.#deps.networkTurns?.();
        const record = await claims.next();
        if (!record) return;
        try {
          await this.#process(record, abort);
        } finally {
          claims.done(record.contact.id);
        }
        // With fast services (a synchronous ledger, promises already resolved) a worker would
        // never give the event loop a turn: the status server, the progress line and signal
        // handlers would starve until the campaign ends. A timer turn every few ms lets them in.
        if (clock.now() - yieldedAt >= yieldEveryMs) {
          await clock.sleep(0);
          yieldedAt = clock.now();
        }
      }
    } catch (error) {
      fatal.abort(error);
      throw error;
    }
  }

  /** Works one contact; a lease lost on the way (another process took it over) ends it here,
   * with nothing more written or called by this process. */
  async #process(record: ContactRecord, abort: AbortSignal): Promise<void> {
    try {
      await this.#processLeased(record, abort);
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      this.#events.emit({ type: "lease-lost", contactId: record.contact.id });
    }
  }

  async #processLeased(record: ContactRecord, abort: AbortSignal): Promise<void> {
    const { store, clock, processor } = this.#deps;
    const { campaign } = this.#options;
    const id = record.contact.id;
    this.#events.emit({
      type: "contact-start",
      contactId: id,
      resumedAt: record.step,
      deferrals: record.deferrals,
    });
    const progress = progressOf(record);
    let result: ContactResult;
    try {
      result = await processor.processContact(
        record.contact,
        progress,
        abort,
        async (step, current, dial) => {
          await this.#deps.networkTurns?.();
          const refusal = await store.saveStep(
            campaign,
            id,
            step,
            outputsOf(step, current),
            clock.now(),
            current.attempts,
            dial,
          );
          // The ledger has counted that cost toward the campaign's caps.
          current.unsavedCost = undefined;
          // A commit answers many writes at once: each goes on in its own slice.
          await this.#deps.networkTurns?.();
          return refusal;
        },
      );
    } catch (error) {
      if (!abort.aborted) throw error;
      // Shutdown: the contact goes back to pending with the steps it finished, so another
      // agent on a shared ledger takes it now rather than when this lease expires (a dial
      // that was cut off is looked for before anyone dials again). If even that write fails,
      // the lease runs out and resume or another agent takes it.
      await store.unclaim(campaign, [id], clock.now()).catch(() => {});
      return;
    }
    await writeOutcome(store, campaign, id, result, progress, clock.now());
    this.#events.emit({
      type: "contact-done",
      result,
      deferrals: record.deferrals + (result.status === "deferred" ? 1 : 0),
      attempts: { ...progress.attempts },
      spend: { ...progress.spend },
      scriptRejections: { ...progress.scriptRejections },
      ...(progress.call?.final
        ? {
          answer: {
            answeredBy: progress.call.final.answeredBy,
            messageLeft: progress.call.final.messageLeft,
            optedOut: progress.call.final.optedOut,
          },
        }
        : {}),
    });
  }
}

/** How long a worker may keep the event loop before it lets timers and I/O run. */
const yieldEveryMs = 2;
