import type { DialRefusal, SamePhoneRule } from "../ledger/mod.ts";
import type { Contact, ContactProgress, ScriptRule, Step } from "../domain/mod.ts";

/** Announced when a step finishes (`reused`: its output came from the ledger), or when a
 * dial whose answer was lost turned out to have placed a call, which is adopted. */
export type StepEvent =
  | {
    type: "step-done";
    contactId: string;
    step: Step;
    reused: boolean;
    /** The call's end (`busy, dial 1`), for the call step. */
    detail?: string;
    /** Which link of the step's chain served it (`say`: Twilio's voice, no audio). */
    provider?: string;
    /** What the step's request cost (`pricing.currency`), when it cost something. */
    cost?: number;
  }
  | { type: "call-adopted"; contactId: string; sid: string }
  /** A call the provider still held in its queue when the contact's window closed was
   * canceled before it rang: the contact waits for the window to open again. */
  | { type: "call-canceled"; contactId: string; sid: string }
  | {
    /** A script broke a rule of the checks: it is not voiced. Its cost was counted; `asked`
     * is how many scripts its provider has written for the contact this time (after the
     * second, the next provider of the chain is asked, or the contact fails). */
    type: "script-rejected";
    contactId: string;
    provider: string;
    rule: ScriptRule;
    /** What broke it, short (a placeholder, the stop reason, the start of a refusal). */
    detail: string;
    asked: number;
    cost?: number;
  }
  | {
    /** A provider of the step's chain could not take the contact: the next one is asked. */
    type: "fallback";
    contactId: string;
    step: "llm" | "tts";
    from: string;
    to: string;
    /** Why `from` could not: its failure's class and what it said. */
    errorClass: string;
    error: string;
  };

/**
 * Called after each step with the progress so far, to make it durable before going on (and
 * during a step, to keep what it has cost: a rejected script, an attempt about to go). With
 * `dial`, the progress records a new dial: the ledger saves it only if the number may be
 * dialled now, and returns its refusal otherwise (see `CampaignStore.saveStep`).
 */
export type SaveStep = (
  step: Step,
  progress: ContactProgress,
  dial?: SamePhoneRule,
) => Promise<DialRefusal | undefined>;

/** One contact's processing: who it is, where it got to, and how that is kept. */
export interface ContactRun {
  contact: Contact;
  progress: ContactProgress;
  signal?: AbortSignal;
  saveStep: SaveStep;
}
