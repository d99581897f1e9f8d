import { describeError } from "../errors.ts";
import type { RoutingAlertManager } from "../alerts/mod.ts";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import type { HealthChecker } from "../health/mod.ts";
import type { CampaignRunner } from "../processor/mod.ts";
import type { ServiceCaller } from "../resilience/mod.ts";

/** What the alert rules listen to, and the manager they raise through. */
export interface AlertRuleSources {
  config: Pick<AgentConfig, "alerts">;
  breakers: BreakerRegistry;
  caller: ServiceCaller;
  health: HealthChecker;
  runner: CampaignRunner;
  alerts: RoutingAlertManager;
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
export function wireAlertRules(agent: AlertRuleSources, campaign: string): Disposable[] {
  const { alerts } = agent;
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
      if (change.to === "OPEN") {
        const lastError = agent.breakers.get(change.service).snapshot().lastError;
        alerts.raise({
          key,
          severity: "critical",
          summary: `${change.service} circuit breaker opened: ${change.reason}`,
          details: `${
            lastError && !change.forced ? `Last failure: ${lastError}. ` : ""
          }Calls to this service fail fast; contacts that need it are deferred.`,
          labels: { service: change.service, campaign },
        });
      } else if (change.to === "CLOSED") {
        alerts.resolve(key, `${change.service} circuit breaker closed: ${change.reason}`);
      }
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
