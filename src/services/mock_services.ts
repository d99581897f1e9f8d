import type { Clock } from "../clock/mod.ts";
import { RecentMap } from "../collections/mod.ts";
import { Emitter } from "../events/mod.ts";
import { type Behaviour, type FaultRule, FaultSchedule } from "./fault_schedule.ts";
import {
  type CallOutcome,
  type CallScript,
  type CallState,
  type CampaignSettings,
  type CrmService,
  type DialRequest,
  type FindCallQuery,
  type LlmService,
  type ServiceCallOptions,
  type Services,
  type SpeechAudio,
  type TelephonyService,
  type TtsService,
} from "./types.ts";
import { NotFoundError } from "../errors.ts";
import type { Contact } from "../domain/mod.ts";

/** Announced for every real call a mock receives (not for probes). */
export interface MockCallEvent {
  service: string;
  operation: string;
  at: number;
  /** What the call will do: `ok` or the error class it ends with. */
  result: string;
}

/** How to build a mock. */
export interface MockOptions {
  /** The fault script; empty: always healthy. */
  faults?: readonly FaultRule[];
  /** Latency of a call that no rule covers. @default 0 */
  latencyMs?: number;
}

/** What every mock shares: its script, its clock, and a record of its calls. */
abstract class MockService {
  readonly name: string;
  readonly #schedule: FaultSchedule;
  readonly #clock: Clock;
  readonly #calls = new Emitter<MockCallEvent>();
  /** Calls received (probes excluded). */
  callCount = 0;

  constructor(name: string, options: MockOptions, clock: Clock) {
    this.name = name;
    this.#clock = clock;
    this.#schedule = new FaultSchedule(name, options.faults ?? [], {
      clock,
      defaultLatencyMs: options.latencyMs,
    });
  }

  /** Subscribes to every call this mock receives. */
  onCall(listener: (event: MockCallEvent) => void): Disposable {
    return this.#calls.on(listener);
  }

  probe(options: ServiceCallOptions = {}): Promise<void> {
    const behaviour = this.#schedule.probe();
    // A contact-specific error is about a request's content; a probe carries none.
    if (behaviour.error?.scope === "contact" && !behaviour.error.retryable) {
      behaviour.error = undefined;
    }
    return this.#act(behaviour, options.signal);
  }

  protected async call(operation: string, signal?: AbortSignal): Promise<void> {
    this.callCount++;
    const behaviour = this.#schedule.nextCall();
    this.#calls.emit({
      service: this.name,
      operation,
      at: this.#clock.now(),
      result: behaviour.hang ? "hang" : behaviour.error?.name ?? "ok",
    });
    await this.#act(behaviour, signal);
  }

  async #act(behaviour: Behaviour, signal?: AbortSignal): Promise<void> {
    if (behaviour.hang) {
      await new Promise<never>((_, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    }
    if (behaviour.latencyMs > 0) await this.#clock.sleep(behaviour.latencyMs, signal);
    if (behaviour.error) throw behaviour.error;
  }
}

/** An LLM that writes a short templated script. */
export class MockLlm extends MockService implements LlmService {
  constructor(options: MockOptions, deps: { clock: Clock }, name = "llm") {
    super(name, options, deps.clock);
  }

  async writeScript(
    contact: Contact,
    campaign: CampaignSettings,
    options: ServiceCallOptions = {},
  ): Promise<CallScript> {
    await this.call("writeScript", options.signal);
    return {
      text: `Hello ${contact.name}, this is ${campaign.callerName} calling about ${
        contact.purpose ?? campaign.purpose
      }.`,
    };
  }
}

/** A TTS service that returns the script's bytes as "audio". */
export class MockTts extends MockService implements TtsService {
  constructor(options: MockOptions, deps: { clock: Clock }, name = "tts") {
    super(name, options, deps.clock);
  }

  async synthesize(script: CallScript, options: ServiceCallOptions = {}): Promise<SpeechAudio> {
    await this.call("synthesize", options.signal);
    const bytes = new TextEncoder().encode(script.text);
    return { bytes, format: "mock_text", characterCost: script.text.length };
  }
}

/** Idempotency keys a mock CRM remembers, at least: the most recent ones. */
const rememberedOutcomes = 10_000;

/**
 * A CRM that counts writes per idempotency key. It keeps the most recent keys (at least the
 * last 10,000), not the outcomes, so a long campaign's memory stays flat: a repeat of an outcome
 * comes soon after the write it repeats (a retry, a resumed contact), well within them.
 */
export class MockCrm extends MockService implements CrmService {
  /** Successful writes per idempotency key (recent keys): more than 1 means a repeat reached
   * the CRM. */
  readonly writes = new RecentMap<string, number>(rememberedOutcomes);

  constructor(options: MockOptions, deps: { clock: Clock }, name = "crm") {
    super(name, options, deps.clock);
  }

  /** Idempotency keys stored (recent ones). */
  get records(): ReadonlyMap<string, number> {
    return this.writes;
  }

  async recordOutcome(
    _outcome: CallOutcome,
    options: ServiceCallOptions & { idempotencyKey: string },
  ): Promise<{ recordId: string }> {
    await this.call("recordOutcome", options.signal);
    this.writes.set(options.idempotencyKey, (this.writes.get(options.idempotencyKey) ?? 0) + 1);
    return { recordId: `mock-${options.idempotencyKey}` };
  }
}

/** How a mock phone call goes. */
export interface MockTelephonyOptions extends MockOptions {
  /** Clock time from dial to the end of a call; 0: a dial answers with the final status.
   * @default 0 */
  callMs?: number;
  /** How the call to a number ends. @default every call is answered and `completed` */
  outcomeOf?: (to: string, dial: number) => "completed" | "busy" | "no-answer";
}

/** Calls a mock telephony remembers, at least: the most recent ones (a long campaign's memory
 * stays flat, as with the mock CRM). */
const rememberedCalls = 10_000;

/** A telephony provider that rings no one: each call ends `callMs` after it was placed. It
 * remembers at least the last 10,000 calls (to read and find them). */
export class MockTelephony extends MockService implements TelephonyService {
  /** Recent calls placed, by sid. */
  readonly calls = new RecentMap<string, { to: string; createdAt: number; state: CallState }>(
    rememberedCalls,
  );
  /** Calls placed per number (recent numbers): more than one for a contact means it was
   * dialled twice. */
  readonly dialsTo = new RecentMap<string, number>(rememberedCalls);
  #placed = 0;
  readonly #clock: Clock;
  readonly #callMs: number;
  readonly #outcomeOf: NonNullable<MockTelephonyOptions["outcomeOf"]>;

  constructor(options: MockTelephonyOptions, deps: { clock: Clock }, name = "telephony") {
    super(name, options, deps.clock);
    this.#clock = deps.clock;
    this.#callMs = options.callMs ?? 0;
    this.#outcomeOf = options.outcomeOf ?? (() => "completed");
  }

  async dial(request: DialRequest, options: ServiceCallOptions = {}): Promise<CallState> {
    await this.call("dial", options.signal);
    const dials = (this.dialsTo.get(request.to) ?? 0) + 1;
    this.dialsTo.set(request.to, dials);
    const sid = `CAmock${String(++this.#placed).padStart(8, "0")}`;
    const createdAt = this.#clock.now();
    const outcome = this.#outcomeOf(request.to, dials);
    const state: CallState = {
      sid,
      status: outcome,
      createdAt,
      durationS: outcome === "completed" ? Math.max(1, Math.round(this.#callMs / 1000)) : 0,
      ...(outcome === "completed" ? { answeredBy: "human" } : {}),
    };
    this.calls.set(sid, { to: request.to, createdAt, state });
    return this.#stateOf(sid)!;
  }

  async findCalls(query: FindCallQuery, options: ServiceCallOptions = {}): Promise<CallState[]> {
    await this.call("findCalls", options.signal);
    const found: CallState[] = [];
    for (const [sid, call] of this.calls) {
      if (call.to === query.to && call.createdAt >= query.since) found.push(this.#stateOf(sid)!);
    }
    return found;
  }

  async getCall(sid: string, options: ServiceCallOptions = {}): Promise<CallState> {
    await this.call("getCall", options.signal);
    const state = this.#stateOf(sid);
    if (!state) throw new NotFoundError({ service: this.name, message: `no call ${sid}` });
    return state;
  }

  /** The call as it stands now: ringing until `callMs` passed, then its outcome. */
  #stateOf(sid: string): CallState | undefined {
    const call = this.calls.get(sid);
    if (!call) return undefined;
    if (this.#clock.now() - call.createdAt >= this.#callMs) return { ...call.state };
    return { sid, status: "ringing", createdAt: call.createdAt };
  }
}

/** Fault scripts for each mock service. */
export interface MockServicesOptions {
  llm?: MockOptions;
  tts?: MockOptions;
  telephony?: MockTelephonyOptions;
  crm?: MockOptions;
  /** Fallback links of the script's and the voice's chains, by name, in order (the config
   * must name them too: `services.<role>.fallbacks`). */
  fallbacks?: { llm?: Record<string, MockOptions>; tts?: Record<string, MockOptions> };
}

/** The four mocks and any fallback links, each following its own script. */
export function createMockServices(
  options: MockServicesOptions,
  deps: { clock: Clock },
): Services & {
  llm: MockLlm;
  tts: MockTts;
  telephony: MockTelephony;
  crm: MockCrm;
  fallbacks: { llm: MockLlm[]; tts: MockTts[] };
} {
  return {
    llm: new MockLlm(options.llm ?? {}, deps),
    tts: new MockTts(options.tts ?? {}, deps),
    telephony: new MockTelephony(options.telephony ?? {}, deps),
    crm: new MockCrm(options.crm ?? {}, deps),
    fallbacks: {
      llm: Object.entries(options.fallbacks?.llm ?? {}).map(([name, mock]) =>
        new MockLlm(mock, deps, name)
      ),
      tts: Object.entries(options.fallbacks?.tts ?? {}).map(([name, mock]) =>
        new MockTts(mock, deps, name)
      ),
    },
  };
}
