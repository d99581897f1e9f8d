import { getLogger } from "@logtape/logtape";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { CircuitOpenError, errorClass, isServiceWide, ServiceError } from "../errors.ts";
import { Emitter } from "../events/mod.ts";
import type { ServiceCaller } from "../resilience/mod.ts";
import type { CallOutcome, CampaignSettings, Contact, Services } from "../services/mod.ts";
import type { ContactProgress, ContactResult, RunSummary } from "./contact_result.ts";
import { waitForRecovery } from "./wait_for_recovery.ts";

const logger = getLogger(["ai-call-agent", "processor"]);

/** The pipeline's steps, named after the service each calls. */
export type Step = "llm" | "tts" | "crm";

/** What the processor announces. */
export type ProcessorEvent =
  | { type: "pass-start"; pass: number; contacts: number }
  | { type: "contact-start"; contactId: string; pass: number }
  | { type: "step-done"; contactId: string; step: Step; reused: boolean }
  | { type: "contact-done"; pass: number; result: ContactResult }
  | { type: "waiting-for-recovery"; services: string[] }
  | { type: "recovery-wait-over"; services: string[]; recovered: boolean };

/** Processor parameters; defaults live in `config/defaults.ts`. */
export interface ProcessorOptions {
  campaign: CampaignSettings;
  /** Passes over the contacts; pass 2 on retries contacts skipped by an open breaker. @default 3 */
  maxPasses: number;
  /** How long to wait for skipped contacts' breakers to leave OPEN before the next pass. @default 600000 */
  recoveryWaitMs: number;
}

/** What the processor needs. */
export interface ProcessorDeps {
  services: Services;
  caller: ServiceCaller;
  breakers: BreakerRegistry;
  clock: Clock;
}

/**
 * Per contact: script (LLM), speech (TTS), outcome (CRM), each through its service's timeout,
 * breaker and retry. A failure for one contact is recorded and the run moves on; a contact
 * skipped by an open breaker is retried in a later pass once the breaker lets calls through.
 */
export class CallProcessor {
  readonly #deps: ProcessorDeps;
  readonly #options: ProcessorOptions;
  readonly #events = new Emitter<ProcessorEvent>();

  constructor(options: ProcessorOptions, deps: ProcessorDeps) {
    if (!Number.isInteger(options.maxPasses) || options.maxPasses < 1) {
      throw new RangeError(`processor.maxPasses must be an integer >= 1: got ${options.maxPasses}`);
    }
    this.#options = options;
    this.#deps = deps;
  }

  onEvent(listener: (event: ProcessorEvent) => void): Disposable {
    return this.#events.on(listener);
  }

  /** Runs one contact through the pipeline, resuming from `progress`, which it updates. */
  async processContact(
    contact: Contact,
    progress: ContactProgress,
    signal?: AbortSignal,
  ): Promise<ContactResult> {
    const { services, caller, clock } = this.#deps;
    const { campaign } = this.#options;
    const context = { contactId: contact.id };
    const blocked = this.#firstOpenBreaker(progress);
    if (blocked) {
      // Fail fast before spending anything on a contact a down service would stop anyway.
      return {
        contactId: contact.id,
        status: "skipped",
        service: blocked.service,
        remainingMs: blocked.remainingMs(),
      };
    }
    try {
      const reusedScript = progress.script !== undefined;
      progress.script ??= await caller.call(
        "llm",
        (s) => services.llm.writeScript(contact, campaign, { signal: s }),
        { signal, context },
      );
      this.#events.emit({
        type: "step-done",
        contactId: contact.id,
        step: "llm",
        reused: reusedScript,
      });
      const script = progress.script;
      const reusedAudio = progress.audio !== undefined;
      progress.audio ??= await caller.call(
        "tts",
        (s) => services.tts.synthesize(script, { signal: s }),
        { signal, context },
      );
      this.#events.emit({
        type: "step-done",
        contactId: contact.id,
        step: "tts",
        reused: reusedAudio,
      });
      const outcome: CallOutcome = {
        campaign: campaign.name,
        contactId: contact.id,
        contactName: contact.name,
        phone: contact.phone,
        status: "completed",
        script: script.text,
        audioFormat: progress.audio.format,
        audioBytes: progress.audio.bytes.byteLength,
        at: clock.now(),
      };
      const idempotencyKey = `${campaign.name}:${contact.id}`;
      const { recordId } = await caller.call(
        "crm",
        (s) => services.crm.recordOutcome(outcome, { signal: s, idempotencyKey }),
        { signal, context },
      );
      progress.recordId = recordId;
      this.#events.emit({ type: "step-done", contactId: contact.id, step: "crm", reused: false });
      return { contactId: contact.id, status: "completed", recordId };
    } catch (error) {
      if (signal?.aborted) throw error; // shutdown: the contact stays resumable
      return resultOfFailure(contact.id, error);
    }
  }

  #firstOpenBreaker(progress: ContactProgress) {
    const remaining: Step[] = [
      ...(progress.script ? [] : ["llm" as const]),
      ...(progress.audio ? [] : ["tts" as const]),
      "crm",
    ];
    return remaining.map((step) => this.#deps.breakers.get(step)).find((breaker) =>
      breaker.state === "OPEN"
    );
  }

  /** Processes every contact, then retries skipped ones in later passes; returns the counts. */
  async run(contacts: readonly Contact[], signal?: AbortSignal): Promise<{
    summary: RunSummary;
    results: Map<string, ContactResult>;
  }> {
    const { clock, breakers } = this.#deps;
    const started = clock.now();
    const progress = new Map<string, ContactProgress>();
    const results = new Map<string, ContactResult>();
    let queue = [...contacts];
    let pass = 0;
    while (queue.length > 0 && pass < this.#options.maxPasses) {
      pass++;
      this.#events.emit({ type: "pass-start", pass, contacts: queue.length });
      for (const contact of queue) {
        signal?.throwIfAborted();
        this.#events.emit({ type: "contact-start", contactId: contact.id, pass });
        const contactProgress = progress.get(contact.id) ?? {};
        progress.set(contact.id, contactProgress);
        const result = await this.processContact(contact, contactProgress, signal);
        results.set(contact.id, result);
        this.#events.emit({ type: "contact-done", pass, result });
      }
      queue = queue.filter((contact) => results.get(contact.id)?.status === "skipped");
      if (queue.length === 0 || pass === this.#options.maxPasses) break;
      const waitingOn = [
        ...new Set(
          queue.map((contact) => (results.get(contact.id) as { service: string }).service),
        ),
      ];
      this.#events.emit({ type: "waiting-for-recovery", services: waitingOn });
      const recovered = await waitForRecovery(
        waitingOn.map((service) => breakers.get(service)),
        this.#options.recoveryWaitMs,
        { clock, signal },
      );
      this.#events.emit({ type: "recovery-wait-over", services: waitingOn, recovered });
      if (!recovered) break;
    }
    const summary: RunSummary = {
      total: contacts.length,
      completed: 0,
      failed: 0,
      skipped: 0,
      passes: pass,
      durationMs: clock.now() - started,
    };
    for (const result of results.values()) summary[result.status]++;
    return { summary, results };
  }
}

function resultOfFailure(contactId: string, error: unknown): ContactResult {
  if (error instanceof CircuitOpenError) {
    return { contactId, status: "skipped", service: error.service, remainingMs: error.remainingMs };
  }
  if (error instanceof ServiceError) {
    return {
      contactId,
      status: "failed",
      service: error.service,
      reason: error.retryable ? "retries-exhausted" : "permanent",
      errorClass: error.name,
      message: error.message,
      serviceWide: isServiceWide(error),
    };
  }
  logger.error("Contact {contactId} hit an internal error: {error}", { contactId, error });
  return {
    contactId,
    status: "failed",
    reason: "internal-error",
    errorClass: errorClass(error),
    message: error instanceof Error ? error.message : String(error),
    serviceWide: false,
  };
}
