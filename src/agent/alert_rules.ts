import { describeError } from "../errors.ts";
import type { RoutingAlertManager } from "../alerts/mod.ts";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { type AgentConfig, chainsOf } from "../config/mod.ts";
import type { HealthChecker } from "../health/mod.ts";
import type { CampaignRunner } from "../processor/mod.ts";
import type { ServiceCaller } from "../resilience/mod.ts";
import type { SpendGuard } from "../spend/mod.ts";

/** What the alert rules listen to, and the manager they raise through. */
export interface AlertRuleSources {
  config: Pick<AgentConfig, "alerts" | "services">;
  breakers: BreakerRegistry;
  caller: ServiceCaller;
  health: HealthChecker;
  runner: CampaignRunner;
  alerts: RoutingAlertManager;
  budget: Pick<SpendGuard, "onEvent">;
}

/**
 * Which events raise alerts: a failing health probe (warning) until it is healthy again; a
 * breaker opening (critical) and its closing (resolved), with the provider's own words that
 * opened it; a contact failing for good (error); an alert channel that has delivered nothing
 * for `alerts.stalledAfterMs` (error, on the other channels) until it delivers again.
 * An outage alert an earlier run left firing is resolved once the service proves itself
 * (a healthy probe or a successful call with its breaker CLOSED): a restart never leaves an
 * outage unresolved.
 */
export function wireAlertRules(
  agent: AlertRuleSources,
  campaign: string,
  clock: Pick<Clock, "now">,
): Disposable[] {
  const { alerts } = agent;
  const chains = chainsOf(agent.config);
  const roleOf = (service: string): "llm" | "tts" | undefined =>
    chains.llm.includes(service) ? "llm" : chains.tts.includes(service) ? "tts" : undefined;
  const fallbackSince = new Map<"llm" | "tts", string>();
  const backOnPrimary = (role: "llm" | "tts") => {
    if (fallbackSince.delete(role)) {
      alerts.resolve(`fallback:${role}`, `${role} is back on its primary`);
    }
  };
  const alertsConfig = agent.config.alerts;
  const provenHealthy = (service: string) => {
    if (agent.breakers.has(service) && agent.breakers.get(service).state === "CLOSED") {
      alerts.resolve(`breaker-open:${service}`, `${service} answers again`);
    }
  };
  return [
    agent.caller.onAttemptEnd((attempt) => {
      if (attempt.outcome === "success") provenHealthy(attempt.service);
    }),
    agent.health.onCheck((check) => {
      const key = `health:${check.service}`;
      if (check.status === "unhealthy") {
        // Raised on every failing probe: the manager's dedup keeps it to one message.
        alerts.raise({
          key,
          severity: "warning",
          summary: `${check.service} health probe failing: ${check.lastError}`,
          labels: { service: check.service, campaign },
        });
      } else if (check.status === "healthy") {
        alerts.resolve(key, `${check.service} health probe healthy again`);
        provenHealthy(check.service);
      }
    }),
    agent.breakers.onStateChange((change) => {
      const key = `breaker-open:${change.service}`;
      const role = roleOf(change.service);
      const chain = role ? chains[role] : [change.service];
      const standIn = chain.find((link) =>
        link !== change.service && agent.breakers.get(link).state !== "OPEN"
      );
      if (change.to === "OPEN") {
        const lastError = agent.breakers.get(change.service).snapshot().lastError;
        alerts.raise({
          key,
          // One provider of a chain down is a warning: the campaign keeps calling while another
          // stands in. The whole chain down is critical (`chain-down`), once.
          severity: chain.length > 1 ? "warning" : "critical",
          summary: `${change.service} circuit breaker opened: ${change.reason}`,
          details: `${lastError && !change.forced ? `Last failure: ${lastError}. ` : ""}${
            standIn
              ? `Contacts go on with ${standIn}, the next provider of the ${role} chain.`
              : "Calls to this service fail fast; contacts that need it are deferred."
          }`,
          labels: { service: change.service, campaign },
        });
        if (role && chain.length > 1 && !standIn) {
          alerts.raise({
            key: `chain-down:${role}`,
            severity: "critical",
            summary: `every ${role} provider is down: ${chain.join(", ")}`,
            details:
              "No provider of the chain can take a contact; contacts that need it are deferred.",
            labels: { role, campaign },
          });
        }
      } else if (change.to === "CLOSED") {
        alerts.resolve(key, `${change.service} circuit breaker closed: ${change.reason}`);
        if (role) {
          alerts.resolve(`chain-down:${role}`, `${change.service} takes ${role} contacts again`);
        }
        if (role && change.service === chain[0]) backOnPrimary(role);
      }
    }),
    agent.budget.onEvent((event) => {
      const name = event.cap === "campaign" ? "budget.campaign" : "budget.daily";
      const spent = `${event.spent.toFixed(2)} of ${event.limit.toFixed(2)} ${event.currency}`;
      alerts.raise({
        key: `budget:${event.cap}:${event.share}`,
        severity: event.share >= 1 ? "critical" : "warning",
        summary: event.share >= 1
          ? `${event.cap} spend cap reached: ${spent}; no new contact or paid step starts`
          : `${Math.round(event.share * 100)}% of the ${event.cap} spend cap spent: ${spent}`,
        details: event.share >= 1
          ? `Contacts wait, deferred as budget. Raise ${name} and run again${
            event.cap === "daily" ? ", or wait for midnight in the campaign's time zone" : ""
          }.`
          : `At the cap (${name}) no new contact or paid step starts.`,
        labels: { campaign },
      });
    }),
    agent.runner.onEvent((event) => {
      if (event.type !== "step-done" || event.reused || !event.provider) return;
      if (event.step !== "llm" && event.step !== "tts") return;
      const role = event.step;
      const primary = chains[role][0];
      if (event.provider === primary) return backOnPrimary(role);
      // Raised with each contact a fallback serves (the manager's dedup keeps it to one
      // message); the time it left its primary stays the same until it is back.
      const since = fallbackSince.get(role) ?? new Date(clock.now()).toISOString();
      fallbackSince.set(role, since);
      alerts.raise({
        key: `fallback:${role}`,
        severity: "warning",
        summary: `${role} running on fallback ${event.provider} since ${since}`,
        details:
          `${primary} cannot take contacts now; ${event.provider} stands in until ${primary} is back.`,
        labels: { role, provider: event.provider, campaign },
      });
    }),
    ...agent.alerts.channels().map((delivery) => {
      const name = delivery.channel.name;
      return delivery.health.onEvent((event) => {
        const key = `alert-channel:${name}`;
        if (event.type === "stalled") {
          const { errorClass, message } = describeError(event.error);
          alerts.raise({
            key,
            severity: "error",
            summary: `alert channel ${name} cannot deliver: ${errorClass}: ${message}`,
            details: `Nothing has gone out on ${name} for ${
              alertsConfig.stalledAfterMs / 1000
            } s; its messages wait in the ledger and go out in order once it answers.`,
            labels: { service: `alerts:${name}`, campaign },
          });
        } else if (event.type === "delivering") {
          alerts.resolve(key, `alert channel ${name} delivers again`);
        }
      });
    }),
    agent.runner.onEvent((event) => {
      if (event.type !== "contact-done" || event.result.status !== "failed") return;
      const { result } = event;
      alerts.raise({
        key: `contact-failed:${result.contactId}`,
        severity: "error",
        summary: `contact ${result.contactId} failed at ${result.service ?? "processing"}: ${
          result.reason.replace("-", " ")
        } (${result.errorClass})`,
        details: result.message,
        labels: { service: result.service, campaign, contactId: result.contactId },
      });
    }),
  ];
}
