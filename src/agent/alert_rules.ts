import type { Agent } from "./create_agent.ts";

/**
 * Which events raise alerts: a breaker opening (critical) and its closing (resolved); a
 * contact failing permanently or after its retries ran out (error).
 */
export function wireAlertRules(agent: Agent, campaign: string): Disposable[] {
  const { alerts } = agent;
  return [
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
