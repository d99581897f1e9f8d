import type { BreakerRegistry, CircuitBreaker } from "../breaker/mod.ts";
import { type Clock, every, longestTimerMs } from "../clock/mod.ts";
import { Emitter } from "../events/mod.ts";
import { ClaimQueue } from "./_claim_queue.ts";
import { deadlinePassed } from "./contact_fate.ts";
import {
  type CampaignStore,
  type ContactRecord,
  LeaseLostError,
  type StepOutputs,
} from "../ledger/mod.ts";
import type { CallProcessor, SavedStep, StepEvent } from "./call_processor.ts";
import { type ContactResult, type RunSummary, scheduledDeferrals } from "./contact_result.ts";
import type { ContactProgress, StepAttempts } from "../domain/mod.ts";

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
  }
  | { type: "released"; service: string; contacts: number; breakerState: string }
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
    // Leases of the contacts this process holds are renewed while it works them.
    let claims: ClaimQueue | undefined;
    const renewal = new AbortController();
    const renewing = this.#renewLeases(() => claims, renewal.signal);
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
        if (services.length > 0 && await this.#releaseDue(services) > 0) {
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
        if (services.length === 0) break;
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
          await this.#waitForChange(services, waitLeft, signals.drain);
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
    return { campaign, ...counts, total, durationMs: clock.now() - started, ended };
  }

  /** Renews the leases this process holds, a third of a lease apart; a lease another process
   * took over (this one stalled past it) is dropped from the queue. */
  #renewLeases(claims: () => ClaimQueue | undefined, signal: AbortSignal): Promise<void> {
    const { store, clock } = this.#deps;
    const everyMs = Math.max(1, Math.floor(store.lease.ms / 3));
    return every(clock, everyMs, async () => {
      const pass = claims();
      if (!pass || pass.held.size === 0) return;
      try {
        const lost = await store.renewLeases(this.#options.campaign, [...pass.held], clock.now());
        if (lost.length > 0) pass.lost(lost);
      } catch {
        // A ledger that refuses the renewal refuses the workers' next write too: they stop.
      }
    }, { signal }).done;
  }

  /** Waits until the earliest lease held elsewhere (`expiry`) may have expired, at most a
   * second (or a third of a lease) so a campaign other processes finish is seen done soon. */
  async #waitForLeases(expiry: number, signal?: AbortSignal): Promise<void> {
    const { store, clock } = this.#deps;
    const poll = Math.min(sharedLedgerPollMs, Math.max(1, Math.floor(store.lease.ms / 3)));
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

  /** Moves deferred contacts whose time has come back to pending, for breakers that let
   * calls through; returns how many. */
  async #releaseDue(services: string[]): Promise<number> {
    const { store, clock, breakers } = this.#deps;
    let released = 0;
    for (const service of services) {
      // Deferrals that wait for a time, not a breaker (calling hours, a redial, a number in use).
      if (scheduledDeferrals.has(service) || !breakers.has(service)) {
        const count = await store.releaseDeferred(this.#options.campaign, service, clock.now());
        if (count > 0) {
          this.#events.emit({ type: "released", service, contacts: count, breakerState: "none" });
        }
        released += count;
        continue;
      }
      const breaker = breakers.get(service);
      const state = breaker.state;
      if (state === "OPEN") continue;
      // HALF_OPEN gets only as many contacts as it has trial slots: the rest would be
      // refused and go straight back.
      const limit = state === "HALF_OPEN" ? breaker.options.halfOpenMaxCalls : -1;
      const count = await store.releaseDeferred(
        this.#options.campaign,
        service,
        clock.now(),
        limit,
      );
      if (count > 0) {
        this.#events.emit({ type: "released", service, contacts: count, breakerState: state });
      }
      released += count;
    }
    return released;
  }

  /**
   * Waits until something may let a deferred contact go again: a breaker change, the
   * earliest deferral's time, a breaker's recovery time (when no probe is needed), the
   * deadline, or `maxMs`. Rejects when `signal` aborts.
   */
  async #waitForChange(services: string[], maxMs: number, signal?: AbortSignal): Promise<void> {
    const { store, clock, breakers } = this.#deps;
    const watched = services.filter((service) =>
      !scheduledDeferrals.has(service) && breakers.has(service)
    ).map((service) => breakers.get(service));
    // Listening starts before anything is awaited: a breaker that changes while the ledger is
    // asked for the next deferral's time still wakes this wait.
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const changed = Symbol("changed");
    const subscriptions = watched.map((breaker) =>
      breaker.onStateChange(() => controller.abort(changed))
    );
    try {
      const now = clock.now();
      const times = [
        now + maxMs,
        await store.nextDeferredAt(this.#options.campaign, now) ?? Infinity,
        ...watched.map((breaker) => now + lazyRecoveryMs(breaker)),
        this.#options.deadline ?? Infinity,
        // Where processes share the ledger, another may be releasing the contacts this one
        // found due (their rows locked for a moment), or change what is due: look again soon.
        store.shared ? now + sharedLedgerPollMs : Infinity,
      ];
      const wake = Math.max(now, Math.min(...times));
      await clock.sleep(wake - clock.now(), controller.signal);
    } catch (reason) {
      if (reason !== changed) throw reason;
    } finally {
      for (const subscription of subscriptions) subscription[Symbol.dispose]();
      signal?.removeEventListener("abort", onAbort);
    }
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
        (step, current, dial) =>
          store.saveStep(
            campaign,
            id,
            step,
            outputsOf(step, current),
            clock.now(),
            current.attempts,
            dial,
          ),
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
    const now = clock.now();
    switch (result.status) {
      case "completed":
        await store.complete(
          campaign,
          id,
          result.recordId,
          now,
          progress.attempts,
          progress.call,
        );
        break;
      case "skipped":
        await store.skip(
          campaign,
          id,
          result.firstContactId
            ? `${result.reason}: its number was called for contact ${result.firstContactId}`
            : result.reason,
          now,
          progress.attempts,
          result.recordId,
        );
        break;
      case "failed":
        await store.fail(
          campaign,
          id,
          `${result.reason} at ${
            result.service ?? "processing"
          }: ${result.errorClass}: ${result.message}`,
          now,
          progress.attempts,
          progress.call,
        );
        break;
      case "deferred":
        await store.defer(
          campaign,
          id,
          {
            service: result.service,
            until: result.until,
            reason:
              `${result.reason} at ${result.service}: ${result.errorClass}: ${result.message}`,
          },
          now,
          progress.attempts,
          progress.call,
        );
    }
    this.#events.emit({
      type: "contact-done",
      result,
      deferrals: record.deferrals + (result.status === "deferred" ? 1 : 0),
      attempts: { ...progress.attempts },
    });
  }
}

/** Longest wait, where processes share the ledger, before looking at it again. */
const sharedLedgerPollMs = 1_000;

/** How long a worker may keep the event loop before it lets timers and I/O run. */
const yieldEveryMs = 2;

/** Time until an OPEN breaker turns HALF_OPEN on its own (no probe needed); Infinity when a
 * probe or an operator decides. */
function lazyRecoveryMs(breaker: CircuitBreaker): number {
  if (breaker.options.halfOpenRequiresHealthyProbe) return Infinity;
  return breaker.remainingMs();
}

function progressOf(record: ContactRecord): ContactProgress {
  const { outputs } = record;
  return {
    script: outputs.script === undefined ? undefined : { text: outputs.script },
    audio: outputs.audio,
    call: outputs.call,
    recordId: outputs.crmRecordId,
    attempts: { ...record.attempts },
    crmKey: record.crmKey,
  };
}

function outputsOf(step: SavedStep, progress: ContactProgress): StepOutputs {
  switch (step) {
    case "llm":
      return { script: progress.script?.text };
    case "tts":
      // The dial recorded with the speech, when it follows at once.
      return { audio: progress.audio, call: progress.call?.dialing ? progress.call : undefined };
    case "call":
      return { call: progress.call };
  }
}
