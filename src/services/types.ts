import type { Contact, FinalCallStatus, ScriptRejections, SkipReason } from "../domain/mod.ts";

/** Campaign-wide settings that shape every script. */
export interface CampaignSettings {
  name: string;
  /** What the calls are about. */
  purpose: string;
  /** Who is calling, as the script introduces it. */
  callerName: string;
  /** `voicemail`: a shorter message for answering machines is written with each script. */
  answeringMachine?: string;
}

/** The text the agent will say. */
export interface CallScript {
  text: string;
  /** The model that wrote it, as the provider named it. */
  model?: string;
  /** The tokens the provider said it billed, when it said. */
  usage?: { inputTokens: number; outputTokens: number };
  /** Why the model stopped writing, in the provider's words (`stop`, `length`, `end_turn`,
   * `max_tokens`...), when it said. */
  finishReason?: string;
  /** The model's refusal, when the provider gives it apart from the text (OpenAI's
   * `message.refusal`). */
  refusal?: string;
}

/** Synthesized speech. */
export interface SpeechAudio {
  bytes: Uint8Array;
  /** Provider's output format, e.g. `mp3_44100_128`. */
  format: string;
  /** Characters the provider billed, when it said. */
  characterCost?: number;
  /** Where it was written, when it was. */
  path?: string;
  /** The voice that spoke it, as the provider names it. */
  voice?: string;
}

/** A call's status as Twilio names it; the last five are final. */
export type CallStatus =
  | "queued"
  | "initiated"
  | "ringing"
  | "in-progress"
  | FinalCallStatus;

const finalStatuses: ReadonlySet<string> = new Set([
  "completed",
  "busy",
  "no-answer",
  "failed",
  "canceled",
]);
const statuses: ReadonlySet<string> = new Set([
  "queued",
  "initiated",
  "ringing",
  "in-progress",
  ...finalStatuses,
]);

/** Whether `status` is one of the statuses a call goes through. */
export function isCallStatus(status: string): status is CallStatus {
  return statuses.has(status);
}

/** Whether `status` is one a call ends with. */
export function isFinalCallStatus(status: string): status is FinalCallStatus {
  return finalStatuses.has(status);
}

/** What the telephony provider says about one call. */
export interface CallState {
  /** The provider's id of the call (`CA...`). */
  sid: string;
  status: CallStatus;
  /** Clock time the provider created it, when it said. */
  createdAt?: number;
  /** Seconds the call lasted, once it ended. */
  durationS?: number;
  /** `human`, `machine_start`, ... when answering-machine detection ran. */
  answeredBy?: string;
  /** How long the provider held it in its queue before it rang (Twilio's `queue_time`), ms. */
  queueTimeMs?: number;
  /** What the provider billed for the call, once it says (Twilio fills `price` in some time
   * after the call ends), as a positive amount in its `price_unit`. */
  price?: number;
}

/** A call to place. The call plays `audioUrl` when given, else speaks `say`. */
export interface DialRequest {
  /** E.164. */
  to: string;
  /** The caller number (one of the account's); unset: the provider's first. */
  from?: string;
  /** A URL the provider fetches the speech from (signed, expiring). */
  audioUrl?: string;
  /** The script, spoken by the provider's own voice when there is no audio URL. */
  say: string;
  /** Where the provider posts status changes; carries the dial's marker in its query. */
  statusCallbackUrl?: string;
  /** Tell a person from a machine (`Enable`), or wait for a machine's greeting to end too
   * (`DetectMessageEnd`); unset: the provider's configured default. */
  machineDetection?: "" | "Enable" | "DetectMessageEnd";
  /** Where the provider fetches the call's instructions once it is answered (instead of
   * giving them inline): to answer a machine differently from a person. */
  instructionsUrl?: string;
  /** The shorter message left on a machine (`voicemail`), in the provider's voice. */
  voicemail?: string;
  /** Opt-out by keypress: the message is followed by `prompt`, and `digit` pressed during
   * either is posted to `actionUrl`. */
  optOut?: { digit: string; prompt: string; confirmation: string; actionUrl: string };
}

/** What a call gives the one who answered: the message, the voicemail, or a hang-up; or, once
 * the opt-out key was pressed, the confirmation and a hang-up. */
export type CallAnswer = "message" | "voicemail" | "hang-up" | "opted-out";

/** Which calls {@link TelephonyService.findCalls} lists: those a lost dial may have placed. */
export interface FindCallQuery {
  to: string;
  /** The number the dial was made from, when it was recorded; unset: any of the account's. */
  from?: string;
  /** Clock time the dial was recorded: calls created before it (less the provider's clock
   * skew) are not this dial's. */
  since: number;
}

/** What is recorded in the CRM for one contact: its call, or why it was not called. */
export interface CallOutcome {
  campaign: string;
  contactId: string;
  contactName: string;
  phone: string;
  /** What kind of line the number is (`mobile`, `fixed-line`...), as the numbering plan says. */
  numberType?: string;
  /** The time zones its calling hours were read in: its own, its number's area's (each of
   * them), or the campaign's. */
  timeZones?: readonly string[];
  /** How the call ended; `skipped`: no call was placed (see `skipped`). */
  status: FinalCallStatus | "skipped";
  /** Why the contact was not called: its number is on the do-not-call list, or (`call-once`)
   * another contact of the campaign was called on it, `firstContactId`. */
  skipped?: { reason: SkipReason; firstContactId?: string };
  /** The script; unset when the contact was skipped before one was written. */
  script?: string;
  /** Which provider of the script's chain wrote it (`llm`: the primary), and its model. */
  scriptProvider?: string;
  scriptModel?: string;
  /** Scripts rejected before this one, per rule (`placeholder`, `refusal`...): each paid,
   * none voiced. Unset when the first script passed. */
  scriptRejections?: ScriptRejections;
  /** `audio`: the synthesized speech played; `say`: the provider spoke the script. */
  voice?: "audio" | "say";
  /** Which provider of the voice's chain spoke it (`tts`: the primary; `say`: Twilio's
   * voice, the chain's last link), and its voice. */
  voiceProvider?: string;
  voiceName?: string;
  audioFormat?: string;
  audioBytes?: number;
  /** The provider's call id; unset when no call was placed. */
  callSid?: string;
  /** The caller number the call came from (one of the account's pool). */
  from?: string;
  /** Seconds the call lasted. */
  durationS?: number;
  /** Who answered, when machine detection ran: `human`, `machine_end_beep`, `fax`... */
  answeredBy?: string;
  /** A machine answered: whether a whole message was left on it (after its beep). */
  messageLeft?: boolean;
  /** The person pressed the opt-out key: never called again by the campaign. */
  optedOut?: boolean;
  /** Times the contact was dialled (busy and no-answer are dialled again). */
  dials: number;
  /** What the contact cost, per step and in all, over all runs (`pricing.currency`). */
  spend?: { llm?: number; tts?: number; call?: number; total: number; currency: string };
  /** Clock time of the outcome. */
  at: number;
}

/** Per-call options every service method takes. */
export interface ServiceCallOptions {
  /** Aborts the call: our timeout, a breaker, or shutdown. */
  signal?: AbortSignal;
}

/** Anything with a health probe: resolves when healthy, rejects with the reason otherwise. */
export interface ProbedService {
  /** The service's name in config, breakers and logs (`llm`, `tts`, `crm`). */
  readonly name: string;
  probe(options?: ServiceCallOptions): Promise<void>;
}

/** Writes a call script for a contact. */
export interface LlmService extends ProbedService {
  /** Whose API it speaks and the model it asks for, as traces name them (OpenTelemetry's GenAI
   * conventions: `gen_ai.provider.name`, `gen_ai.request.model`). */
  readonly genAi?: { provider: string; model: string };
  writeScript(
    contact: Contact,
    campaign: CampaignSettings,
    options?: ServiceCallOptions,
  ): Promise<CallScript>;
}

/** Turns a script into speech (ElevenLabs). */
export interface TtsService extends ProbedService {
  synthesize(script: CallScript, options?: ServiceCallOptions): Promise<SpeechAudio>;
}

/** Records a call's outcome in the CRM. */
export interface CrmService extends ProbedService {
  /** `idempotencyKey` lets the CRM drop a repeat of the same outcome. */
  recordOutcome(
    outcome: CallOutcome,
    options: ServiceCallOptions & { idempotencyKey: string },
  ): Promise<{ recordId: string }>;
}

/**
 * Places and follows phone calls (Twilio). Placing a call has no idempotency key: a dial
 * whose answer was lost may or may not have rung someone, so {@link findCalls} comes first.
 */
export interface TelephonyService extends ProbedService {
  /** Places a call. Never sent twice by the HTTP stack. */
  dial(request: DialRequest, options?: ServiceCallOptions): Promise<CallState>;
  /** The calls a lost dial may have placed: to `to` from our number, created since `since`
   * (less the clock skew the provider allows for), oldest first. Which one is the dial's is
   * the caller's decision. */
  findCalls(query: FindCallQuery, options?: ServiceCallOptions): Promise<CallState[]>;
  /** Reads one call's status. */
  getCall(sid: string, options?: ServiceCallOptions): Promise<CallState>;
  /** Cancels a call not yet answered (queued or ringing); resolves with its state after. */
  cancel?(sid: string, options?: ServiceCallOptions): Promise<CallState>;
  /** The instructions (Twilio: TwiML) a call's `instructionsUrl` answers with. */
  instructions?(request: DialRequest, answer: CallAnswer): string;
}

/** The four services of the pipeline. */
export interface Services {
  llm: LlmService;
  tts: TtsService;
  telephony: TelephonyService;
  crm: CrmService;
  /** The providers that stand in for the script's and the voice's, in order; each client's
   * `name` is its link's (a service of its own). */
  fallbacks?: { llm?: readonly LlmService[]; tts?: readonly TtsService[] };
}
