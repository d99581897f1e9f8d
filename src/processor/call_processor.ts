import { getLogger } from "@logtape/logtape";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { CircuitOpenError, errorClass, isServiceWide, ServiceError } from "../errors.ts";
import { Emitter } from "../events/mod.ts";
import type { ServiceCaller } from "../resilience/mod.ts";
import { sha256Hex } from "../services/mod.ts";
import type { CallOutcome, CampaignSettings, Contact, Services } from "../services/mod.ts";
import type { ContactProgress, ContactResult } from "./contact_result.ts";

const logger = getLogger(["ai-call-agent", "processor"]);

/** The pipeline's steps, named after the service each calls. */
export type Step = "llm" | "tts" | "crm";

/** Announced when a step finishes (`reused`: its output came from the ledger). */
export interface StepEvent {
  type: "step-done";
  contactId: string;
  step: Step;
  reused: boolean;
}

/** What the processor needs. */
export interface ProcessorDeps {
  services: Services;
  caller: ServiceCaller;
  breakers: BreakerRegistry;
  clock: Clock;
}

/** Called after each step with the progress so far, to make it durable before going on. */
export type SaveStep = (step: Step, progress: ContactProgress) => Promise<void>;

/** The CRM idempotency key of a contact: the same on every retry and every restart. */
export function idempotencyKey(campaign: string, contactId: string): string {
  return `${campaign}:${contactId}`;
}

/**
 * One contact through the pipeline: script (LLM), speech (TTS), outcome (CRM), each through
 * its service's timeout, breaker and retry. Steps already in `progress` are not called again,
 * so a resumed contact costs no second LLM or TTS call; `saveStep` makes each step durable
 * before the next one starts.
 */
export class CallProcessor {
  readonly #deps: ProcessorDeps;
  readonly #campaign: CampaignSettings;
  readonly #events = new Emitter<StepEvent>();

  constructor(campaign: CampaignSettings, deps: ProcessorDeps) {
    this.#campaign = campaign;
    this.#deps = deps;
  }

  onEvent(listener: (event: StepEvent) => void): Disposable {
    return this.#events.on(listener);
  }

  /**
   * Runs `contact` from `progress` (which it updates). Resolves with the outcome; a service
   * failure or internal error is an outcome, not a rejection. Rejects only when `signal`
   * aborted (shutdown): the contact then stays resumable.
   */
  async processContact(
    contact: Contact,
    progress: ContactProgress,
    signal?: AbortSignal,
    saveStep: SaveStep = () => Promise.resolve(),
  ): Promise<ContactResult> {
    const { services, caller, clock } = this.#deps;
    const campaign = this.#campaign;
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
    let step: Step = "llm";
    try {
      if (progress.script) {
        this.#stepDone(contact.id, "llm", true);
      } else {
        progress.script = await caller.call(
          "llm",
          (s) => services.llm.writeScript(contact, campaign, { signal: s }),
          { signal, context },
        );
        await saveStep("llm", progress);
        this.#stepDone(contact.id, "llm", false);
      }
      const script = progress.script;
      step = "tts";
      if (progress.audio) {
        this.#stepDone(contact.id, "tts", true);
      } else {
        const audio = await caller.call(
          "tts",
          (s) => services.tts.synthesize(script, { signal: s }),
          { signal, context },
        );
        progress.audio = {
          format: audio.format,
          byteLength: audio.bytes.byteLength,
          path: audio.path,
          sha256: sha256Hex(audio.bytes),
        };
        await saveStep("tts", progress);
        this.#stepDone(contact.id, "tts", false);
      }
      const outcome: CallOutcome = {
        campaign: campaign.name,
        contactId: contact.id,
        contactName: contact.name,
        phone: contact.phone,
        status: "completed",
        script: script.text,
        audioFormat: progress.audio.format,
        audioBytes: progress.audio.byteLength,
        at: clock.now(),
      };
      step = "crm";
      const key = idempotencyKey(campaign.name, contact.id);
      const { recordId } = await caller.call(
        "crm",
        (s) => services.crm.recordOutcome(outcome, { signal: s, idempotencyKey: key }),
        { signal, context },
      );
      progress.recordId = recordId;
      this.#stepDone(contact.id, "crm", false);
      return { contactId: contact.id, status: "completed", recordId };
    } catch (error) {
      if (signal?.aborted) throw error; // shutdown: the contact stays resumable
      return resultOfFailure(contact.id, step, error);
    }
  }

  #stepDone(contactId: string, step: Step, reused: boolean): void {
    this.#events.emit({ type: "step-done", contactId, step, reused });
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
}

function resultOfFailure(contactId: string, step: Step, error: unknown): ContactResult {
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
  logger.error("Contact {contactId} hit an internal error at {step}: {error}", {
    contactId,
    step,
    error,
  });
  return {
    contactId,
    status: "failed",
    service: step,
    reason: "internal-error",
    errorClass: errorClass(error),
    message: error instanceof Error ? error.message : String(error),
    serviceWide: false,
  };
}
