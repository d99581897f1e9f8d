import type { NetworkDeps } from "../http/mod.ts";
import type { Clock, Random } from "../clock/mod.ts";
import type { Tracing } from "../tracing/mod.ts";
import { type AgentConfig, type ChannelConfig, SecretReader } from "../config/mod.ts";
import type { FiringAlerts, Outbox, SharedState } from "../ledger/mod.ts";
import { type AlertChannel, severities, type Severity } from "./alert.ts";
import { ChannelDelivery } from "./channel_delivery.ts";
import { LogAlertChannel } from "./channels.ts";
import { ResendEmailChannel, SendGridEmailChannel } from "./email_channels.ts";
import { RoutingAlertManager } from "./routing_alert_manager.ts";
import { TelegramChannel } from "./telegram_channel.ts";
import { WebhookAlertChannel } from "./webhook_alert_channel.ts";

/** What alerting needs from outside. */
export interface AlertingDeps extends NetworkDeps {
  clock: Clock;
  random: Random;
  env: (name: string) => string | undefined;
  outbox: Outbox;
  /** Where the alerts firing now are kept across restarts. */
  firing?: FiringAlerts;
  /** Where processes share the ledger: which of them sends each alert. */
  shared?: Pick<SharedState, "claimAlerts">;
  /** Collects every secret read; share one set so every channel redacts every secret. */
  knownSecrets?: Set<string>;
  /** Channels made in code (tests, the simulation), routed like configured ones. */
  extraChannels?: readonly AlertChannel[];
  /** Each delivery attempt a client span (a webhook then carries `traceparent`). */
  tracing?: Tracing;
}

/**
 * Builds the alert manager from `config.alerts`: every configured channel (its secret from
 * the environment; each missing one listed in one ConfigError), the `log` channel, and any
 * extra ones, each with its own delivery (retry, breaker, rate limit, outbox).
 */
export function createAlerting(config: AgentConfig, deps: AlertingDeps): RoutingAlertManager {
  const secrets = new SecretReader(deps.env, deps.knownSecrets);
  const known = () => secrets.known();
  const secret = (path: string, variable: string) => secrets.read(path, variable);
  const { alerts } = config;
  const channels = new Map<
    string,
    { channel: AlertChannel; perMinute: number; timeoutMs: number }
  >();
  const alertsOwn = { perMinute: alerts.perMinute, timeoutMs: alerts.timeoutMs };
  channels.set("log", { channel: new LogAlertChannel(), ...alertsOwn });
  for (const [name, channel] of Object.entries(alerts.channels)) {
    channels.set(name, {
      channel: buildChannel(name, channel, secret, known, deps),
      perMinute: (channel.kind !== "log" && channel.perMinute) || alerts.perMinute,
      timeoutMs: channel.timeoutMs,
    });
  }
  for (const channel of deps.extraChannels ?? []) {
    channels.set(channel.name, { channel, ...alertsOwn });
  }
  secrets.throwIfMissing();

  const deliveries = [...channels.values()].map(({ channel, perMinute, timeoutMs }) =>
    new ChannelDelivery(channel, {
      retry: alerts.retry,
      breaker: config.breaker,
      perMinute,
      timeoutMs,
      stalledAfterMs: alerts.stalledAfterMs,
    }, deps)
  );
  const everyChannel = [...channels.keys()];
  const routes = {} as Record<Severity, string[]>;
  for (const severity of severities) {
    const names = config.alerts.routes[severity];
    routes[severity] = [
      ...new Set(
        names.includes("*") ? [...names.filter((n) => n !== "*"), ...everyChannel] : names,
      ),
    ];
  }
  return new RoutingAlertManager(
    {
      groupWaitMs: config.alerts.groupWaitMs,
      repeatIntervalMs: config.alerts.repeatIntervalMs,
      routes,
    },
    deliveries,
    { clock: deps.clock, firing: deps.firing, shared: deps.shared },
  );
}

function buildChannel(
  name: string,
  config: ChannelConfig,
  secret: (path: string, variable: string) => string,
  known: () => readonly string[],
  deps: AlertingDeps,
): AlertChannel {
  const path = `alerts.channels.${name}`;
  switch (config.kind) {
    case "log":
      return new LogAlertChannel(name);
    case "telegram":
      return new TelegramChannel(
        {
          baseUrl: config.baseUrl,
          chatId: config.chatId,
          token: secret(`${path}.tokenEnv`, config.tokenEnv),
          secrets: known,
        },
        deps,
        name,
      );
    case "resend":
    case "sendgrid": {
      const options = {
        baseUrl: config.baseUrl,
        from: config.from,
        to: config.to,
        apiKey: secret(`${path}.apiKeyEnv`, config.apiKeyEnv),
        secrets: known,
      };
      return config.kind === "resend"
        ? new ResendEmailChannel(options, deps, name)
        : new SendGridEmailChannel(options, deps, name);
    }
    case "webhook":
      return new WebhookAlertChannel(
        {
          url: config.url,
          secret: secret(`${path}.secretEnv`, config.secretEnv),
          secrets: known,
        },
        deps,
        name,
      );
  }
}
