/** A person to call. `fields` carries any other columns of the contacts file. */
export interface Contact {
  id: string;
  name: string;
  /** E.164, e.g. `+14155550100`. */
  phone: string;
  /** Why we call this person; falls back to the campaign's purpose. */
  purpose?: string;
  notes?: string;
  fields?: Readonly<Record<string, string>>;
}

/** Campaign-wide settings that shape every script. */
export interface CampaignSettings {
  name: string;
  /** What the calls are about. */
  purpose: string;
  /** Who is calling, as the script introduces it. */
  callerName: string;
}

/** The text the agent will say. */
export interface CallScript {
  text: string;
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
}

/** What is recorded in the CRM for one contact. */
export interface CallOutcome {
  campaign: string;
  contactId: string;
  contactName: string;
  phone: string;
  status: "completed";
  script: string;
  audioFormat: string;
  audioBytes: number;
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

/** The three services of the pipeline. */
export interface Services {
  llm: LlmService;
  tts: TtsService;
  crm: CrmService;
}
