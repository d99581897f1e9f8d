import type { StepAttempts } from "./steps.ts";

/** How a call ended. */
export type FinalCallStatus = "completed" | "busy" | "no-answer" | "failed" | "canceled";

/**
 * The call step as the ledger keeps it. A dial is recorded (`dialing`) before its request
 * is sent, so a crash or a lost answer leaves a trace that makes the next attempt look for
 * the call instead of dialling again.
 */
export interface CallProgress {
  /** Dials made, this one included once `dialing` is set. */
  dials: number;
  /** Calls of earlier dials (busy, no-answer): never taken for a later dial's. */
  previousSids: string[];
  /** The dial under way: when it began (clock time) and its marker. */
  dialing?: { at: number; marker: string };
  /** The provider's id of the current dial's call, once known. */
  sid?: string;
  /** How the current call ended. */
  final?: {
    status: FinalCallStatus;
    durationS?: number;
    answeredBy?: string;
    /** What the provider billed for the call, when it said by the time the call ended. */
    price?: number;
    /** A machine answered: whether a whole message was left on it (after its beep). */
    messageLeft?: boolean;
    /** The person pressed the opt-out key: the number is on the do-not-call list now. */
    optedOut?: boolean;
    /** What the call was counted at while its provider had not priced it (duration times the
     * configured per-minute price), and on which of the campaign's days: replaced by the
     * provider's price once it says (see `CampaignStore.settleCallPrice`). */
    estimate?: { amount: number; day: string };
  };
  /** What the call said: the synthesized audio, or the script in the provider's voice. */
  voice?: "audio" | "say";
  /** The caller number the current dial comes from (one of the account's pool). */
  from?: string;
}

/**
 * Whether `call` holds its number: a dial is recorded and its call has not ended. Such a dial
 * may be ringing someone, or its answer was lost and the call is still being looked for: no
 * other contact may dial the number meanwhile.
 */
export function holdsPhone(call: CallProgress | undefined): boolean {
  return call?.dialing !== undefined && call.final === undefined;
}

/** Which provider of the script's chain wrote a script, and with which model; and the shorter
 * message for answering machines written with it, when the campaign leaves one. */
export interface ScriptSource {
  provider: string;
  model?: string;
  voicemail?: string;
}

/** The speech a contact's call plays, as the ledger keeps it: which voice of the chain spoke
 * it (unset in ledgers from before chains: the primary), and where the file is. */
export interface SavedAudio {
  format: string;
  byteLength: number;
  path?: string;
  sha256?: string;
  provider?: string;
  voice?: string;
}

/** The checks a script passes before its voice is paid for: the model finished, the answer is
 * not empty, not a refusal, holds no unfilled placeholder and is not too long to be a call's
 * message. */
export type ScriptRule = "unfinished" | "empty" | "refusal" | "placeholder" | "tooLong";

/** Scripts rejected so far, per rule, over all runs. */
export type ScriptRejections = Partial<Record<ScriptRule, number>>;

/** What a contact's steps cost, per step, over all runs. */
export type StepSpend = Partial<Record<"llm" | "tts" | "call", number>>;

/** Where a contact's pipeline got to: a resumed contact skips the steps already done. */
export interface ContactProgress {
  script?: { text: string; by?: ScriptSource };
  /** Scripts the checks rejected before this one (each paid, none voiced), per rule. */
  scriptRejections?: ScriptRejections;
  audio?: SavedAudio;
  /** The call step: dials, the current call and how it ended. */
  call?: CallProgress;
  recordId?: string;
  /** Attempts that reached a provider so far, per step, over all runs. */
  attempts: StepAttempts;
  /** What the contact cost so far, per step, over all runs (in `pricing.currency`). */
  spend?: StepSpend;
  /** What the last paid step cost and on which of the campaign's days, until the ledger has
   * added it to the campaign's spend (with the step's save). */
  unsavedCost?: { amount: number; day: string };
  /** What the service answered to the last attempt that failed (this run). */
  lastFailure?: unknown;
  /** The CRM idempotency key the ledger fixed for this contact. */
  crmKey?: string;
}

/** The sum of contacts' spends, per step. */
export function totalSpend(spends: Iterable<StepSpend | undefined>): StepSpend {
  const total: StepSpend = {};
  for (const spend of spends) {
    for (const [step, cost] of Object.entries(spend ?? {}) as [keyof StepSpend, number][]) {
      total[step] = (total[step] ?? 0) + cost;
    }
  }
  return total;
}

/**
 * A call counted at an estimate, settled at its provider's `price`: the new call progress and
 * spend, and what changes on which day. Undefined when the call holds no estimate (already
 * settled, or priced when it ended).
 */
export function settleEstimate(
  call: CallProgress | undefined,
  spend: StepSpend | undefined,
  price: number,
): { call: CallProgress; spend: StepSpend; delta: number; day: string } | undefined {
  const estimate = call?.final?.estimate;
  if (!call?.final || !estimate) return undefined;
  const { estimate: _settled, ...final } = call.final;
  const delta = price - estimate.amount;
  return {
    call: { ...call, final: { ...final, price } },
    spend: { ...spend, call: (spend?.call ?? 0) + delta },
    delta,
    day: estimate.day,
  };
}
