import type { NetworkDeps } from "../http/mod.ts";
import { type AlertChannel, createAlerting, type RoutingAlertManager } from "../alerts/mod.ts";
import { BreakerRegistry } from "../breaker/mod.ts";
import { type Clock, every, type Random } from "../clock/mod.ts";
import {
  type AgentConfig,
  callerNumbers,
  chainsOf,
  servicePolicies,
  voicePlayback,
} from "../config/mod.ts";
import { Emitter } from "../events/mod.ts";
import { HealthChecker } from "../health/mod.ts";
import type { CampaignStore } from "../ledger/mod.ts";
import {
  CallInstructions,
  CallProcessor,
  CampaignRunner,
  type ProcessorOptions,
} from "../processor/mod.ts";
import { Bulkhead, ServiceCaller, type ServiceCallPolicy } from "../resilience/mod.ts";
import { RetryBudget, RetryPolicy } from "../retry/mod.ts";
import { PriceList, SpendGuard } from "../spend/mod.ts";
import type { Services } from "../services/mod.ts";
import type { SheetsLogSink } from "../sheets/mod.ts";
import { CallerIds, CallLinks, CallUpdates, CallWindow } from "../telephony/mod.ts";
import type { Tracing } from "../tracing/mod.ts";
import type { AgentEvent } from "./agent_event.ts";
import { wireAlertRules } from "./alert_rules.ts";
import { logToSheets } from "./log_to_sheets.ts";
import { observeAgent } from "./observe_agent.ts";
import { ServiceStateSharing } from "./share_service_states.ts";

/** How often a process reads the service states others published (shared ledgers only). */
const shareEveryMs = 1_000;

/** What the agent is built from; `main.ts` or a test assembles it. The network is for alert
 * channels; without `fetch`, a fetch that refuses. */
export interface AgentDeps extends Partial<NetworkDeps> {
  clock: Clock;
  random: Random;
  services: Services;
  /** The campaign ledger; its outbox keeps undelivered alerts. */
  store: CampaignStore;
  /** Alert channels made in code (tests, the simulation), besides the configured ones. */
  alertChannels?: readonly AlertChannel[];
  /** Environment variables, for alert channels' secrets. @default none */
  env?: (name: string) => string | undefined;
  /** The Google Sheets log, when configured. */
  sheets?: SheetsLogSink;
  /** Collects every secret read; share one set so every component redacts every secret. */
  knownSecrets?: Set<string>;
  /** Signs audio links when `services.telephony.publicBaseUrl` is set: keep it stable across
   * restarts (`run` derives it from the Twilio auth token). */
  callLinksKey?: string | Uint8Array;
  /** The campaign's do-not-call list (`campaign.doNotCall`), current as of each dial. */
  doNotCall?: { has(phone: string): Promise<boolean> };
  /** Spans for contacts, steps, attempts and alert deliveries. @default none */
  tracing?: Tracing;
  /** The event loop's turns for the network (`networkTurns`), shared with the run's other
   * long work: the campaign's workers ask for one before each contact, before and after each
   * write, and before each request. @default none (they never wait for one) */
  networkTurns?: () => Promise<void>;
}

/** The wired agent: every component, sharing one set of breakers and one event stream. */
export interface Agent extends AsyncDisposable {
  config: AgentConfig;
  breakers: BreakerRegistry;
  retries: Record<string, RetryPolicy>;
  caller: ServiceCaller;
  health: HealthChecker;
  processor: CallProcessor;
  /** Works the campaign in `config.campaign.name` from the ledger. */
  runner: CampaignRunner;
  store: CampaignStore;
  alerts: RoutingAlertManager;
  /** The campaign's spend caps. */
  budget: SpendGuard;
  sheets?: SheetsLogSink;
  /** Call statuses pushed by the provider (the status server's callback route feeds it). */
  calls: CallUpdates;
  /** The public links calls hand the provider, when `publicBaseUrl` is set. */
  callLinks?: CallLinks;
  /** What the status server tells the provider about a live call (served instructions, the
   * opt-out key). */
  callInstructions: CallInstructions;
  /** Every event of every component, with `t` relative to `startedAt`. */
  events: Emitter<AgentEvent>;
  startedAt: number;
  /** Starts the background work: health probes, outbox replays, reading shared state. */
  start(): void;
  /** Where processes share the ledger: reads what the others learned about each service now
   * (a process that starts during an outage another found defers at once). */
  readSharedState(): Promise<void>;
  /** Stops it, sends pending alert groups and waits for deliveries in flight. */
  stop(): Promise<void>;
}

const noNetwork: typeof fetch = () => Promise.reject(new TypeError("no network configured"));

/** Builds the agent from a validated config and its dependencies. */
export function createAgent(config: AgentConfig, deps: AgentDeps): Agent {
  const { clock, random, services, store } = deps;
  const policies = servicePolicies(config);
  const chains = chainsOf(config);
  for (const role of ["llm", "tts"] as const) {
    const given = [role, ...(services.fallbacks?.[role] ?? []).map((link) => link.name)];
    if (given.join() !== chains[role].join()) {
      throw new TypeError(
        `createAgent: the ${role} chain's clients (${given.join(", ")}) are not the config's (${
          chains[role].join(", ")
        })`,
      );
    }
  }
  const breakers = new BreakerRegistry(
    Object.fromEntries(Object.entries(policies).map(([name, policy]) => [name, policy.breaker])),
    { clock },
  );
  // Where processes share the ledger, a request or probe first brings the breakers up to date
  // with what the others learned (see ServiceStateSharing for the bound this gives).
  const sharing = store.shared
    ? new ServiceStateSharing(breakers, store.shared, {
      clock,
      owner: store.lease.owner,
      probeIntervalMs: config.health.intervalMs,
    })
    : undefined;
  const readShared = sharing ? () => sharing.refresh() : undefined;
  // Before a request, the network's turn when the loop has been held (see networkTurns), then
  // what the other processes learned.
  const { networkTurns } = deps;
  const beforeSend = networkTurns && readShared
    ? async () => (await networkTurns(), await readShared())
    : networkTurns ?? readShared;
  // A voice no call could play is never asked for, so it is not probed either: its outage
  // would be no one's concern.
  const voices = voicePlayback(config).playback === "none"
    ? []
    : [services.tts, ...services.fallbacks?.tts ?? []];
  const health = new HealthChecker(
    [
      services.llm,
      services.telephony,
      services.crm,
      ...services.fallbacks?.llm ?? [],
      ...voices,
    ],
    breakers,
    config.health,
    {
      clock,
      mayProbe: sharing
        ? async (service) => (await sharing.refresh(), !sharing.heldElsewhere(service))
        : undefined,
    },
  );
  sharing?.followProbes(health);
  const retries: Record<string, RetryPolicy> = {};
  const callPolicies: Record<string, ServiceCallPolicy> = {};
  for (const [name, policy] of Object.entries(policies)) {
    retries[name] = new RetryPolicy(policy.retry, {
      clock,
      random,
      budget: new RetryBudget(config.retryBudget, { clock }),
    });
    callPolicies[name] = {
      retry: retries[name],
      breaker: breakers.get(name),
      timeoutMs: policy.timeoutMs,
      bulkhead: new Bulkhead(policy.maxInFlight, name),
      slotWaitMs: policy.slotWaitMs,
      beforeSend,
    };
  }
  const caller = new ServiceCaller(callPolicies, { clock, tracing: deps.tracing });
  const telephony = config.services.telephony;
  const calls = new CallUpdates(clock);
  let callLinks: CallLinks | undefined;
  if (telephony.publicBaseUrl) {
    if (!deps.callLinksKey) {
      throw new TypeError("createAgent: services.telephony.publicBaseUrl needs a callLinksKey");
    }
    callLinks = new CallLinks({
      publicBaseUrl: telephony.publicBaseUrl,
      key: deps.callLinksKey,
      audioTtlMs: telephony.audioUrlTtlMs,
      clock,
    });
  }
  const { callWindow } = config.campaign;
  const budget = new SpendGuard(config, { store, clock });
  const processor = new CallProcessor(config.campaign, {
    services,
    prices: new PriceList(config),
    budget,
    caller,
    breakers,
    clock,
    tracing: deps.tracing,
    calling: {
      updates: calls,
      links: callLinks,
      window: callWindow.start ? new CallWindow(callWindow) : undefined,
      ledger: store,
      // Numbers that pressed the opt-out key are in the ledger's list even without a file.
      doNotCall: deps.doNotCall ??
        (config.campaign.optOut.digit
          ? { has: (phone: string) => store.doNotCall.has(config.campaign.name, phone) }
          : undefined),
      callerIds: telephony.kind === "twilio"
        ? new CallerIds(callerNumbers(telephony.twilio.from))
        : undefined,
      turns: store.dialTurns,
    },
  }, processorOptions(config));
  const runner = new CampaignRunner(
    {
      campaign: config.campaign.name,
      concurrency: config.processor.concurrency,
      recoveryWaitMs: config.processor.recoveryWaitMs,
      deadline: config.campaign.deadline ? Date.parse(config.campaign.deadline) : undefined,
      currency: config.pricing.currency,
    },
    {
      store,
      processor,
      breakers,
      clock,
      chains,
      networkTurns: deps.networkTurns,
    },
  );
  const alerts = createAlerting(config, {
    knownSecrets: deps.knownSecrets,
    clock,
    random,
    fetch: deps.fetch ?? noNetwork,
    freshFetch: deps.freshFetch,
    untracedFetch: deps.untracedFetch,
    env: deps.env ?? (() => undefined),
    outbox: store.outbox,
    firing: store.firingAlerts,
    shared: store.shared,
    extraChannels: deps.alertChannels,
    tracing: deps.tracing,
  });
  let background: { controller: AbortController; loops: Promise<void>[] } | undefined;
  // Takes back what an earlier run left (firing alerts, undelivered messages) and replays the
  // outboxes at once, then on an interval.
  const replayLoop = async (signal: AbortSignal) => {
    await alerts.restore();
    await alerts.replay();
    await every(clock, config.alerts.replayIntervalMs, () => alerts.replay(), { signal }).done;
  };
  // Where processes share the ledger, what the others learned about each service is read
  // every second.
  const sharingLoop = async (signal: AbortSignal) => {
    if (!sharing) return;
    await every(clock, shareEveryMs, () => sharing.sync(), { signal, startNow: true }).done;
  };
  const agent: Agent = {
    config,
    breakers,
    retries,
    caller,
    health,
    processor,
    runner,
    store,
    alerts,
    budget,
    sheets: deps.sheets,
    calls,
    callLinks,
    callInstructions: new CallInstructions({
      campaign: config.campaign.name,
      store,
      callStep: processor.callStep,
      telephony: services.telephony,
      updates: calls,
      machines: config.campaign.answeringMachine,
    }),
    events: new Emitter<AgentEvent>(),
    startedAt: clock.now(),
    start() {
      health.start();
      deps.sheets?.start();
      if (!background) {
        const controller = new AbortController();
        background = {
          controller,
          loops: [replayLoop(controller.signal), sharingLoop(controller.signal)],
        };
      }
    },
    async readSharedState() {
      await sharing?.sync();
    },
    async stop() {
      const running = background;
      background = undefined;
      running?.controller.abort();
      await Promise.all(running?.loops ?? []);
      await health.stop();
      // The last Sheets rows and alert messages get processor.exitFlushMs to go out; a
      // destination that is down then is not waited for: what is left stays in the ledger.
      const bounded = new AbortController();
      clock.sleep(config.processor.exitFlushMs, bounded.signal).then(() => {
        deps.sheets?.cutShort();
        alerts.cutShort();
      }, () => {});
      try {
        await deps.sheets?.stop();
        await alerts.flush();
      } finally {
        bounded.abort();
      }
      // No deadline timer outlives the agent's work.
      alerts[Symbol.dispose]();
      caller[Symbol.dispose]();
      await sharing?.flush();
    },
    async [Symbol.asyncDispose]() {
      await agent.stop();
      for (const subscription of subscriptions) subscription[Symbol.dispose]();
      sharing?.[Symbol.dispose]();
    },
  };
  const subscriptions = [
    ...observeAgent(agent, clock),
    ...wireAlertRules(agent, config.campaign.name, clock),
    ...(deps.sheets ? logToSheets(agent, deps.sheets, () => clock.now()) : []),
  ];
  return agent;
}

/** How much a contact may cost and how its call is made, as the config says. */
export function processorOptions(config: AgentConfig): ProcessorOptions {
  const { telephony } = config.services;
  return {
    maxAttemptsPerStep: config.processor.maxAttemptsPerStep,
    script: config.script,
    calling: {
      fallbackToSay: telephony.fallbackToSay,
      playback: voicePlayback(config).playback,
      machines: {
        policy: config.campaign.answeringMachine,
        detection: telephony.kind === "twilio" ? telephony.twilio.machineDetection : "",
      },
      ...(config.campaign.optOut.digit && telephony.publicBaseUrl
        ? { optOut: config.campaign.optOut }
        : {}),
      poll: telephony.poll,
      redial: config.campaign.redial,
      samePhone: config.campaign.samePhone,
      // The mock's call list is current at once; Twilio's may lag behind its creates.
      lostDialSettleMs: telephony.kind === "twilio" ? telephony.twilio.lostDialSettleMs : 0,
      // The mock rings no one and counts nothing: only a real provider's calls are paced.
      callsPerSecond: telephony.kind === "twilio" ? telephony.callsPerSecond : 0,
    },
  };
}
