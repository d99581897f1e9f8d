import type { AgentEvent } from "../agent/mod.ts";
import { escapeHtml } from "../alerts/mod.ts";
import type { BreakerState } from "../breaker/mod.ts";

/** What the page says above the picture. */
export interface SimulationPageTitle {
  scenario: string;
  /** The run's summary line, as `simulate` printed it. */
  summary: string;
}

const left = 120;
const width = 1100;
const plot = width - left - 20;
const lane = 18;

const stateColours: Record<BreakerState, string> = {
  CLOSED: "#168240",
  HALF_OPEN: "#d68a00",
  OPEN: "#c81e1e",
};
const serviceColours: Record<string, string> = {
  llm: "#7c3aed",
  tts: "#2563eb",
  telephony: "#0d9488",
  crm: "#64748b",
};
const fallbackColour = "#db2777";
const severityColours: Record<string, string> = {
  critical: "#c81e1e",
  error: "#ea580c",
  warning: "#d68a00",
  info: "#2563eb",
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A tick step that puts at most a dozen ticks on `endMs`. */
function tickStep(endMs: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].map((s) => s * 1000);
  return steps.find((step) => endMs / step <= 12) ?? 3_600_000;
}

/**
 * The simulation as one self-contained page (inline SVG, no script, no external file): each
 * service's breaker states on a time axis, the alerts sent, and each contact as a lane with its
 * attempts (coloured by service, failed ones marked), retries, deferrals and how it ended.
 * A pure function of the run's events, so the same run gives the same page.
 */
export function simulationPage(events: readonly AgentEvent[], title: SimulationPageTitle): string {
  const endMs = Math.max(1, ...events.map((event) => event.t));
  const x = (t: number) => left + Math.max(0, Math.min(1, t / endMs)) * plot;
  const services: string[] = [];
  const contacts: string[] = [];
  const seen = (list: string[], name: string | undefined) => {
    if (name !== undefined && !list.includes(name)) list.push(name);
  };
  for (const event of events) {
    if (event.type === "health" || event.type === "breaker" || event.type === "attempt") {
      if (!event.service.startsWith("alerts:")) seen(services, event.service);
    }
    if (event.type === "contact-start" || event.type === "contact-done") {
      seen(contacts, event.contactId);
    }
  }
  const parts: string[] = [];
  let y = 30;
  // The time axis, with a grid line at each tick.
  const step = tickStep(endMs);
  // The pipeline's order first, then any other service (a fallback) as it appeared.
  const order = ["llm", "tts", "telephony", "crm"];
  const rank = (service: string) => {
    const known = order.indexOf(service);
    return known >= 0 ? known : order.length + services.indexOf(service);
  };
  services.sort((a, b) => rank(a) - rank(b));
  const rows = services.length + 1 + contacts.length;
  const height = 30 + 2 * 24 + rows * lane + 16;
  for (let t = 0; t <= endMs; t += step) {
    parts.push(
      `<line x1="${x(t)}" y1="${y - 6}" x2="${x(t)}" y2="${height - 10}" stroke="#e5e7eb"/>`,
      `<text x="${x(t)}" y="${y - 10}" text-anchor="middle">${t / 1000} s</text>`,
    );
  }
  const heading = (text: string) => {
    y += 24;
    parts.push(`<text class="heading" x="4" y="${y - 6}">${escapeHtml(text)}</text>`);
  };
  heading("breakers");
  for (const service of services) {
    const changes = events.flatMap((event) =>
      event.type === "breaker" && event.service === service ? [event] : []
    );
    const bands = [
      { from: 0, state: "CLOSED" as BreakerState },
      ...changes.map((change) => ({
        from: change.t,
        state: change.to,
      })),
    ];
    parts.push(`<g class="service" data-service="${escapeHtml(service)}">`);
    parts.push(`<text x="4" y="${y + 12}">${escapeHtml(service)}</text>`);
    bands.forEach((band, i) => {
      const to = bands[i + 1]?.from ?? endMs;
      if (to <= band.from && bands.length > 1) return;
      parts.push(
        `<rect class="seg" data-state="${band.state}" x="${x(band.from)}" y="${y + 2}" width="${
          Math.max(1, x(to) - x(band.from))
        }" height="${lane - 4}" fill="${stateColours[band.state]}"><title>${
          escapeHtml(`${service} ${band.state} ${seconds(band.from)}–${seconds(to)}`)
        }</title></rect>`,
      );
    });
    parts.push(`</g>`);
    y += lane;
  }
  // Alerts: one mark per notification a channel delivered.
  parts.push(`<g class="alerts"><text x="4" y="${y + 12}">alerts sent</text>`);
  const notified = new Set<string>();
  for (const event of events) {
    if (event.type !== "alert" || event.decision !== "delivered") continue;
    const id = event.notificationId ?? `${event.key}|${event.status}|${event.t}`;
    if (notified.has(id)) continue;
    notified.add(id);
    const cx = x(event.t);
    const colour = event.status === "resolved" ? "#168240" : severityColours[event.severity];
    parts.push(
      `<path class="alert" data-status="${event.status}" d="M${cx - 5},${y + 14} L${cx},${y + 3} L${
        cx + 5
      },${y + 14} Z" fill="${colour}"><title>${
        escapeHtml(`${seconds(event.t)} ${event.severity} ${event.status}: ${event.summary}`)
      }</title></path>`,
    );
  }
  parts.push(`</g>`);
  y += lane;
  heading("contacts");
  for (const contact of contacts) {
    parts.push(`<g class="contact" data-contact="${escapeHtml(contact)}">`);
    parts.push(`<text x="4" y="${y + 12}">${escapeHtml(contact)}</text>`);
    for (const event of events) {
      if (!("contactId" in event) || event.contactId !== contact) continue;
      switch (event.type) {
        case "attempt": {
          const failed = event.outcome !== "success";
          const colour = serviceColours[event.service] ?? fallbackColour;
          parts.push(
            `<rect class="attempt" data-service="${escapeHtml(event.service)}" data-outcome="${
              escapeHtml(event.outcome)
            }" x="${x(event.t - event.durationMs)}" y="${y + 4}" width="${
              Math.max(2, x(event.t) - x(event.t - event.durationMs))
            }" height="${lane - 8}" fill="${failed ? "#fff" : colour}" stroke="${
              failed ? "#c81e1e" : colour
            }" stroke-width="${failed ? 2 : 0}"><title>${
              escapeHtml(
                `${event.service} attempt ${event.attempt} ${seconds(event.t - event.durationMs)}–${
                  seconds(event.t)
                }: ${event.outcome}`,
              )
            }</title></rect>`,
          );
          break;
        }
        case "retry":
          parts.push(
            `<text class="retry" x="${x(event.t)}" y="${y + 13}" fill="#c81e1e">↻<title>${
              escapeHtml(
                `${seconds(event.t)} ${event.service ?? ""} retry ${event.attempt} in ${
                  seconds(event.delayMs)
                }: ${event.errorClass}`,
              )
            }</title></text>`,
          );
          break;
        case "contact-done": {
          const cx = x(event.t);
          const cy = y + lane / 2;
          const note = escapeHtml(
            `${seconds(event.t)} ${event.status}${event.service ? ` (${event.service}` : ""}${
              event.reason ? `, ${event.reason})` : event.service ? ")" : ""
            }${event.error ? `: ${event.error}` : ""}`,
          );
          const mark = event.status === "completed"
            ? `<circle cx="${cx}" cy="${cy}" r="5" fill="#168240"/>`
            : event.status === "deferred"
            ? `<path d="M${cx},${cy - 6} L${cx + 6},${cy} L${cx},${cy + 6} L${
              cx - 6
            },${cy} Z" fill="#d68a00"/>`
            : event.status === "failed"
            ? `<path d="M${cx - 5},${cy - 5} L${cx + 5},${cy + 5} M${cx + 5},${cy - 5} L${cx - 5},${
              cy + 5
            }" stroke="#c81e1e" stroke-width="2.5"/>`
            : `<circle cx="${cx}" cy="${cy}" r="5" fill="#98a2b3"/>`;
          parts.push(
            `<g class="done" data-status="${event.status}">${mark}<title>${note}</title></g>`,
          );
          break;
        }
      }
    }
    parts.push(`</g>`);
    y += lane;
  }
  const legend = [
    ...Object.entries(stateColours).map(([state, colour]) => [colour, `breaker ${state}`]),
    ...Object.entries(serviceColours).map(([service, colour]) => [colour, `${service} attempt`]),
    [fallbackColour, "fallback attempt"],
  ].map(([colour, text]) => `<span><i style="background:${colour}"></i>${escapeHtml(text)}</span>`)
    .join(
      "",
    );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ai-call-agent simulation: ${escapeHtml(title.scenario)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #fff; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .muted { color: #667085; }
  .legend span { margin-right: 14px; white-space: nowrap; }
  .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
  svg text { font: 11px system-ui, sans-serif; fill: #1d2330; }
  svg text.heading { font-weight: 600; fill: #667085; }
</style>
</head>
<body>
<h1>Simulation: ${escapeHtml(title.scenario)}</h1>
<p class="muted">${escapeHtml(title.summary)}</p>
<p class="legend muted">${legend} <span>↻ retry</span> <span>◆ deferred</span> <span>● completed</span> <span>✕ failed</span> <span>▲ alert sent (green: resolved)</span></p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${parts.join("\n")}
</svg>
<p class="muted">Hover a mark for what happened, when. Times are since the start of the run.</p>
</body>
</html>
`;
}
