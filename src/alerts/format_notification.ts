import type { Alert, Notification } from "./alert.ts";

/** `[CRITICAL] 1 firing, 1 resolved: tts circuit breaker opened (ai-call-agent)` */
export function notificationTitle(notification: Notification): string {
  const firing = notification.alerts.filter((a) => a.status === "firing").length;
  const resolved = notification.alerts.length - firing;
  const counts = [firing ? `${firing} firing` : "", resolved ? `${resolved} resolved` : ""]
    .filter(Boolean).join(", ");
  const first = notification.alerts[0]?.summary ?? "";
  const label = firing ? notification.severity.toUpperCase() : "RESOLVED";
  return `[${label}] ${counts}: ${first}${
    notification.alerts.length > 1 ? " (and more)" : ""
  } (ai-call-agent)`;
}

function alertLines(alert: Alert): string[] {
  const labels = Object.entries(alert.labels).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`);
  return [
    `${alert.status === "resolved" ? "RESOLVED" : alert.severity.toUpperCase()}: ${alert.summary}`,
    ...(alert.details ? [`  ${alert.details}`] : []),
    ...(labels.length ? [`  ${labels.join(" ")}`] : []),
    `  at ${new Date(alert.at).toISOString()} (key ${alert.key})`,
  ];
}

/** Plain text: a line per alert with its details and labels. */
export function notificationText(notification: Notification): string {
  return [notificationTitle(notification), "", ...notification.alerts.flatMap(alertLines)].join(
    "\n",
  );
}

/** Escapes `<`, `>`, `&` (and quotes) for HTML and Telegram's HTML parse mode. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** Telegram-flavoured HTML (only tags it accepts: b, i, code). */
export function notificationHtml(notification: Notification): string {
  const lines = [`<b>${escapeHtml(notificationTitle(notification))}</b>`, ""];
  for (const alert of notification.alerts) {
    const [head, ...rest] = alertLines(alert);
    lines.push(`<b>${escapeHtml(head)}</b>`, ...rest.map((line) => escapeHtml(line)));
  }
  return lines.join("\n");
}
