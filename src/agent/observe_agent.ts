import type { Clock } from "../clock/mod.ts";
import { describeError } from "../errors.ts";
import type { RoutingAlertManager } from "../alerts/mod.ts";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { Emitter } from "../events/mod.ts";
import type { HealthChecker } from "../health/mod.ts";
import type { CampaignRunner } from "../processor/mod.ts";
import type { ServiceCaller } from "../resilience/mod.ts";
import type { RetryPolicy } from "../retry/mod.ts";
import type { AgentEvent, UntimedAgentEvent } from "./agent_event.ts";

/** The components whose events become agent events, and the stream they go to. */
export interface ObservedComponents {
  events: Emitter<AgentEvent>;
  startedAt: number;
  retries: Record<string, RetryPolicy>;
  caller: ServiceCaller;
  breakers: BreakerRegistry;
  health: HealthChecker;
  runner: CampaignRunner;
  alerts: RoutingAlertManager;
}

/** An error as events carry it: its class, and what it said. */
function reported(error: unknown): { errorClass: string; error: string } {
  const { errorClass, message } = describeError(error);
  return { errorClass, error: message };
}

/** Forwards every component's events into `agent.events` as flat {@link AgentEvent}s. */
export function observeAgent(agent: ObservedComponents, clock: Clock): Disposable[] {
  const emit = (event: UntimedAgentEvent) =>
    agent.events.emit({ t: clock.now() - agent.startedAt, ...event } as AgentEvent);
  const subscriptions: Disposable[] = [];
  for (const retry of Object.values(agent.retries)) {
    subscriptions.push(retry.onEvent((event) => {
      const { service, contactId } = event.context;
      switch (event.type) {
        case "retry":
          return emit({
            type: "retry",
            service,
            contactId,
            attempt: event.attempt,
            delayMs: Math.round(event.delayMs),
            retryAfterMs: event.retryAfterMs,
            ...reported(event.error),
          });
        case "give-up":
          return emit({
            type: "give-up",
            service,
            contactId,
            attempt: event.attempt,
            reason: event.reason,
            ...reported(event.error),
          });
      }
    }));
  }
  subscriptions.push(agent.caller.onAttemptEnd((attempt) =>
    emit({
      type: "attempt",
      service: attempt.service,
      contactId: attempt.context.contactId,
      attempt: attempt.attempt,
      durationMs: attempt.durationMs,
      outcome: attempt.outcome,
    })
  ));
  subscriptions.push(agent.breakers.onStateChange((change) => {
    const lastError = change.to === "OPEN" && !change.forced
      ? agent.breakers.get(change.service).snapshot().lastError
      : undefined;
    emit({
      type: "breaker",
      service: change.service,
      from: change.from,
      to: change.to,
      reason: change.reason,
      ...(lastError ? { lastError } : {}),
    });
  }));
  subscriptions.push(agent.health.onCheck((check) =>
    emit({
      type: "health",
      service: check.service,
      status: check.status,
      from: check.previous,
      latencyMs: check.latencyMs,
      errorClass: check.lastErrorClass,
      error: check.lastError,
      changed: check.changed,
      breakerState: agent.breakers.has(check.service)
        ? agent.breakers.get(check.service).state
        : undefined,
    })
  ));
  subscriptions.push(agent.runner.onEvent((event) => {
    if (event.type !== "contact-done") return emit({ ...event });
    const { result } = event;
    const ended = result.status === "failed" || result.status === "deferred";
    emit({
      type: "contact-done",
      contactId: result.contactId,
      status: result.status,
      service: ended ? result.service : undefined,
      errorClass: ended ? result.errorClass : undefined,
      reason: result.status === "completed" ? undefined : result.reason,
      error: ended ? result.message : undefined,
      ...(result.status === "skipped" && result.firstContactId
        ? { firstContactId: result.firstContactId }
        : {}),
      ...(result.status === "completed" && result.fallbacks ? { fallbacks: result.fallbacks } : {}),
      deferrals: event.deferrals,
    });
  }));
  subscriptions.push(agent.alerts.onDecision((decision) => {
    if (decision.type === "delivery") {
      const { result } = decision;
      for (const alert of result.notification.alerts) {
        emit({
          type: "alert",
          decision: result.outcome,
          channel: result.channel,
          notificationId: result.notification.id,
          key: alert.key,
          severity: alert.severity,
          status: alert.status,
          summary: alert.summary,
          service: alert.labels.service,
          contactId: alert.labels.contactId,
          errorClass: result.errorClass,
          error: result.error,
        });
      }
      return;
    }
    const { alert } = decision;
    emit({
      type: "alert",
      decision: decision.type === "queued" ? "queued" : `suppressed:${decision.reason}`,
      channels: decision.type === "queued" ? decision.channels : undefined,
      key: alert.key,
      severity: alert.severity,
      status: alert.status,
      summary: alert.summary,
      service: alert.labels.service,
      contactId: alert.labels.contactId,
    });
  }));
  return subscriptions;
}
