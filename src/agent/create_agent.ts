import { type AlertChannel, BasicAlertManager } from "../alerts/mod.ts";
import { BreakerRegistry } from "../breaker/mod.ts";
import type { Clock, Random } from "../clock/mod.ts";
import { type AgentConfig, servicePolicies } from "../config/mod.ts";
import { HealthChecker } from "../health/mod.ts";
import type { CampaignStore } from "../ledger/mod.ts";
import { CallProcessor, CampaignRunner } from "../processor/mod.ts";
import { Bulkhead, ServiceCaller, type ServiceCallPolicy } from "../resilience/mod.ts";
import { RetryPolicy } from "../retry/mod.ts";
import type { Services } from "../services/mod.ts";
import { wireAlertRules } from "./alert_rules.ts";
import { observeAgent } from "./observe_agent.ts";
import type { AgentEvent } from "./agent_event.ts";
import { Emitter } from "../events/mod.ts";

/** What the agent is built from; `main.ts` or a test assembles it. */
export interface AgentDeps {
  clock: Clock;
  random: Random;
  services: Services;
  alertChannels: readonly AlertChannel[];
  /** The campaign ledger. */
  store: CampaignStore;
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
  alerts: BasicAlertManager;
  /** Every event of every component, with `t` relative to `startedAt`. */
  events: Emitter<AgentEvent>;
  startedAt: number;
}

/** Builds the agent from a validated config and its dependencies. */
export function createAgent(config: AgentConfig, deps: AgentDeps): Agent {
  const { clock, random, services } = deps;
  const policies = servicePolicies(config);
  const breakers = new BreakerRegistry(
    Object.fromEntries(Object.entries(policies).map(([name, policy]) => [name, policy.breaker])),
    { clock },
  );
  const retries: Record<string, RetryPolicy> = {};
  const callPolicies: Record<string, ServiceCallPolicy> = {};
  for (const [name, policy] of Object.entries(policies)) {
    retries[name] = new RetryPolicy(policy.retry, { clock, random });
    callPolicies[name] = {
      retry: retries[name],
      timeoutMs: policy.timeoutMs,
      bulkhead: new Bulkhead(policy.maxInFlight, `services.${name}.maxInFlight`),
    };
  }
  const caller = new ServiceCaller(callPolicies, breakers, { clock });
  const health = new HealthChecker(
    [services.llm, services.tts, services.crm],
    breakers,
    config.health,
    { clock },
  );
  const processor = new CallProcessor(config.campaign, { services, caller, breakers, clock });
  const runner = new CampaignRunner(
    {
      campaign: config.campaign.name,
      concurrency: config.processor.concurrency,
      maxDeferrals: config.processor.maxDeferrals,
      recoveryWaitMs: config.processor.recoveryWaitMs,
    },
    { store: deps.store, processor, breakers, clock },
  );
  const alerts = new BasicAlertManager(deps.alertChannels, { clock });
  const events = new Emitter<AgentEvent>();
  const startedAt = clock.now();
  const agent: Agent = {
    config,
    breakers,
    retries,
    caller,
    health,
    processor,
    runner,
    store: deps.store,
    alerts,
    events,
    startedAt,
    async [Symbol.asyncDispose]() {
      for (const subscription of subscriptions) subscription[Symbol.dispose]();
      await health.stop();
      await alerts.flush();
    },
  };
  const subscriptions = [
    ...observeAgent(agent, clock),
    ...wireAlertRules(agent, config.campaign.name),
  ];
  return agent;
}
