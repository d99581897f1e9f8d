import type { Agent } from "./create_agent.ts";

/**
 * Which events raise alerts: a failing health probe (warning) until it is healthy again; a
 * breaker opening (critical) and its closing (resolved); a contact failing for good (error).
 * An outage alert an earlier run left firing is resolved once the service proves itself
 * (a healthy probe or a successful call with its breaker CLOSED): a restart never leaves an
 * outage unresolved.
 */
export function wireAlertRules(agent: Agent, campaign: string): Disposable[] {
  const { alerts } = agent;
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
        alerts.raise({
          key,
          severity: "critical",
          summary: `${change.service} circuit breaker opened: ${change.reason}`,
          details: "Calls to this service fail fast; contacts that need it are deferred.",
          labels: { service: change.service, campaign },
        });
      } else if (change.to === "CLOSED") {
        alerts.resolve(key, `${change.service} circuit breaker closed: ${change.reason}`);
      }
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
