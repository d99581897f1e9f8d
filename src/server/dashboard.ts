/**
 * The dashboard: one self-contained page (no CDN, no external file, charts drawn as inline SVG)
 * that polls `/status`, `/events` and `/history` every two seconds. First what needs attention
 * (what an operator woken at night reads first: which service is down since when and when it is
 * tried again, what alert fires, which channel stalls), then a tile per service, the provider each
 * fallback chain is on, the campaign's progress, the last hour per service (its breaker's states
 * as a band, latency p50 and p95, outcomes) and for the campaign (completions, deferrals,
 * failures), and the recent events.
 */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ai-call-agent</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; background: #f6f7f9; color: #1d2330; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .muted { color: #667085; }
  .tiles { display: flex; gap: 12px; margin: 16px 0; flex-wrap: wrap; }
  .tile { border-radius: 8px; padding: 12px 16px; min-width: 180px; color: #fff; }
  .tile h2 { font-size: 16px; margin: 0 0 6px; }
  .CLOSED { background: rgb(22, 130, 64); }
  .HALF_OPEN { background: rgb(214, 138, 0); }
  .OPEN { background: rgb(200, 30, 30); }
  .bar { height: 18px; background: #dde1e7; border-radius: 9px; overflow: hidden; display: flex; }
  .bar div { height: 100%; }
  .completed { background: rgb(22, 130, 64); } .failed { background: rgb(200, 30, 30); }
  .deferred { background: rgb(214, 138, 0); }
  .trial { font-size: 12px; opacity: 0.9; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  td { border-bottom: 1px solid #eceef2; padding: 4px 8px; vertical-align: top; }
  #attention { border-radius: 8px; padding: 10px 14px; margin: 12px 0; background: #fff; border-left: 6px solid rgb(22, 130, 64); }
  #attention.bad { border-left-color: rgb(200, 30, 30); }
  #attention li { margin: 2px 0; }
  .charts td { vertical-align: middle; }
  .charts th { text-align: left; font-weight: 600; padding: 4px 8px; color: #667085; }
  svg text { font: 10px system-ui, sans-serif; fill: #667085; }
  .legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; }
</style>
</head>
<body>
<h1>ai-call-agent</h1>
<div class="muted" id="meta">loading…</div>
<div id="attention">loading…</div>
<div class="tiles" id="tiles"></div>
<p id="chains" class="muted"></p>
<h2>Campaign <span id="campaign"></span></h2>
<div class="bar" id="bar"></div>
<p id="counts" class="muted"></p>
<div id="campaign-chart"></div>
<h2>Services, <span id="window">last hour</span></h2>
<div class="legend muted">breaker <span style="background:rgb(22, 130, 64)"></span>closed<span style="background:rgb(214, 138, 0)"></span>half-open<span style="background:rgb(200, 30, 30)"></span>open
  · latency <span style="background:#1d4ed8"></span>p50<span style="background:#93c5fd"></span>p95
  · attempts <span style="background:rgb(22, 130, 64)"></span>succeeded<span style="background:rgb(200, 30, 30)"></span>failed</div>
<table class="charts"><thead><tr><th>service</th><th>breaker</th><th>latency</th><th>attempts</th></tr></thead><tbody id="service-charts"></tbody></table>
<h2>Recent events</h2>
<table><tbody id="events"></tbody></table>
<script>
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
// When an OPEN breaker's next trial may go.
function nextTrial(b) {
  if (b.forced) return "held open by an operator" + (b.forcedBy ? " on " + b.forcedBy.agent : "");
  if (!b.nextTrial) return "";
  const at = new Date(b.nextTrial.at).toLocaleTimeString();
  return "next trial " + (b.nextTrial.inMs > 0 ? "at " + at + " (in " + Math.ceil(b.nextTrial.inMs / 1000) + " s)" : "now") +
    (b.nextTrial.afterHealthyProbe ? ", after a healthy probe" : "");
}
// One line per run of like events: "392 contacts deferred: tts, circuit-open".
function describe(e) {
  if (e.type === "contact-done" && e.count > 1) {
    return e.count + " contacts " + e.status + (e.service ? ": " + e.service : "") + (e.reason ? ", " + e.reason : "");
  }
  const text = [e.service, e.count > 1 ? "" : e.contactId, e.from && e.to ? e.from + " → " + e.to : "", e.status, e.reason, e.summary,
    e.type === "alert" ? (e.channel ? e.channel + ": " : "") + e.decision : ""]
    .filter(Boolean).join(" · ");
  return text + (e.duplicates ? " (" + e.duplicates + " repeats not sent again)" : "");
}
const colours = { CLOSED: "rgb(22, 130, 64)", HALF_OPEN: "rgb(214, 138, 0)", OPEN: "rgb(200, 30, 30)",
  completed: "rgb(22, 130, 64)", deferred: "rgb(214, 138, 0)", failed: "rgb(200, 30, 30)", skipped: "#98a2b3" };
const clockTime = (t) => new Date(t).toLocaleTimeString();
const span = (ms) => ms >= 3600000 ? (ms / 3600000).toFixed(1) + " h" : ms >= 60000 ? Math.round(ms / 60000) + " min" : Math.round(ms / 1000) + " s";
// Service charts are this wide; the campaign's chart twice as wide.
const W = 320;
// Where time t falls on a chart w wide showing h.from to h.to.
const xOf = (h, t, w) => Math.max(0, Math.min(w, (t - h.from) / Math.max(1, h.to - h.from) * w));
const barWidth = (h, w) => Math.max(1, h.bucketMs / Math.max(1, h.to - h.from) * w - 0.5);
function svg(w, height, body, label) {
  return '<svg width="' + w + '" height="' + height + '" viewBox="0 0 ' + w + " " + height + '" role="img" aria-label="' + esc(label) + '">' + body + "</svg>";
}
// A breaker's states as a band: one rectangle per stretch in one state.
function bandChart(h, s) {
  return svg(W, 18, s.bands.map((b) => {
    const x = xOf(h, b.from, W), w = Math.max(1, xOf(h, b.to, W) - x);
    return '<rect class="seg" data-state="' + b.state + '" data-from="' + b.from + '" data-to="' + b.to + '" x="' + x.toFixed(1) + '" y="0" width="' + w.toFixed(1) + '" height="18" fill="' + colours[b.state] + '"><title>' +
      esc(b.state + " " + clockTime(b.from) + "–" + clockTime(b.to) + " (" + span(b.to - b.from) + ")") + "</title></rect>";
  }).join(""), s.service + " breaker states");
}
// Latency p50 and p95 per bucket, as two lines on a scale up to the window's largest p95.
function latencyChart(h, s) {
  if (s.buckets.length === 0) return svg(W, 40, '<text x="4" y="24">no attempts</text>', "no attempts");
  const top = Math.max(1, ...s.buckets.map((b) => b.p95));
  const line = (key, colour, cls) => '<polyline class="' + cls + '" fill="none" stroke="' + colour + '" stroke-width="1.5" points="' +
    s.buckets.map((b) => (xOf(h, b.t, W) + barWidth(h, W) / 2).toFixed(1) + "," + (38 - 28 * b[key] / top).toFixed(1)).join(" ") + '"/>';
  return svg(W, 40, line("p95", "#93c5fd", "p95") + line("p50", "#1d4ed8", "p50") +
    '<text x="' + (W - 2) + '" y="9" text-anchor="end">' + top + " ms</text>", s.service + " latency");
}
// Stacked bars per bucket on a scale up to the window's busiest bucket.
function stackedBars(h, buckets, keys, w, height, label) {
  const totals = buckets.map((b) => keys.reduce((sum, k) => sum + b[k], 0));
  const top = Math.max(1, ...totals);
  const bars = buckets.map((b) => {
    let y = height;
    return keys.filter((k) => b[k] > 0).map((k) => {
      const bh = Math.max(1, (height - 12) * b[k] / top);
      y -= bh;
      return '<rect class="bar-' + k + '" data-t="' + b.t + '" data-count="' + b[k] + '" x="' + xOf(h, b.t, w).toFixed(1) + '" y="' + y.toFixed(1) + '" width="' + barWidth(h, w).toFixed(1) + '" height="' + bh.toFixed(1) + '" fill="' + colours[k] + '"><title>' +
        esc(b[k] + " " + k + " at " + clockTime(b.t)) + "</title></rect>";
    }).join("");
  }).join("");
  return svg(w, height, bars + '<text x="' + (w - 2) + '" y="9" text-anchor="end">' + top + " per " + span(h.bucketMs) + "</text>", label);
}
function drawHistory(h) {
  document.getElementById("window").textContent = "last " + span(h.to - h.from) + " (" + clockTime(h.from) + "–" + clockTime(h.to) + ")";
  document.getElementById("service-charts").innerHTML = h.services.map((s) => {
    const outcomes = s.buckets.map((b) => ({ t: b.t, completed: b.success, failed: b.failure }));
    return '<tr data-service="' + esc(s.service) + '"><td>' + esc(s.service) + '</td><td class="band">' + bandChart(h, s) + '</td><td class="latency">' + latencyChart(h, s) +
      '</td><td class="outcomes">' + stackedBars(h, outcomes, ["completed", "failed"], W, 40, s.service + " attempts") + "</td></tr>";
  }).join("");
  document.getElementById("campaign-chart").innerHTML =
    '<div class="muted">contacts over time: completed, skipped, deferred, failed</div>' +
    stackedBars(h, h.campaign, ["completed", "skipped", "deferred", "failed"], 2 * W, 60, "campaign outcomes over time");
}
// What needs a person now, most urgent first; "all well" when nothing does.
function attention(status, h) {
  const since = (service) => {
    const s = h && h.services.find((x) => x.service === service);
    const band = s && s.bands[s.bands.length - 1];
    return band ? " for " + span(band.to - band.from) : "";
  };
  const items = [];
  for (const s of status.services) {
    if (s.breaker.state === "CLOSED") continue;
    items.push("<b>" + esc(s.service) + " " + esc(s.breaker.state) + "</b>" + esc(since(s.service)) +
      (s.breaker.lastError ? ": " + esc(s.breaker.lastError) : "") +
      (s.breaker.state === "OPEN" ? " · " + esc(nextTrial(s.breaker)) : ""));
  }
  for (const a of status.alerts.firing) items.push(esc(a.severity) + " alert firing: " + esc(a.summary));
  for (const ch of status.alerts.channels) {
    if (ch.delivery !== "delivering") items.push("alert channel " + esc(ch.name) + " " + esc(ch.delivery) + (ch.pending ? ", " + ch.pending + " waiting" : "") + (ch.lastError ? ": " + esc(ch.lastError) : ""));
  }
  const box = document.getElementById("attention");
  box.className = items.length ? "bad" : "";
  box.innerHTML = items.length ? "<b>Needs attention</b><ul>" + items.map((i) => "<li>" + i + "</li>").join("") + "</ul>"
    : "All well: every breaker closed, no alert firing, every channel delivering.";
}
async function refresh() {
  try {
    const [status, events, history] = await Promise.all([
      fetch("/status", { cache: "no-store" }).then((r) => r.json()),
      fetch("/events", { cache: "no-store" }).then((r) => r.json()),
      fetch("/history", { cache: "no-store" }).then((r) => r.json()),
    ]);
    attention(status, history);
    drawHistory(history);
    document.getElementById("meta").textContent =
      "version " + status.version + " · up " + status.uptimeSeconds + " s · " +
      (status.ready.ready ? "ready" : "not ready: " + status.ready.reasons.join("; "));
    document.getElementById("tiles").innerHTML = status.services.map((s) =>
      '<div class="tile ' + esc(s.breaker.state) + '" data-service="' + esc(s.service) + '" data-state="' + esc(s.breaker.state) + '">' +
      "<h2>" + esc(s.service) + "</h2><div>breaker " + esc(s.breaker.state) + "</div>" +
      "<div>health " + esc(s.health ? s.health.status : "unknown") + (s.health && s.health.latencyMs != null ? " (" + s.health.latencyMs + " ms)" : "") + "</div>" +
      (s.breaker.lastErrorClass ? "<div>last error " + esc(s.breaker.lastErrorClass) + "</div>" : "") +
      (s.breaker.state === "OPEN" ? '<div class="trial">' + esc(nextTrial(s.breaker)) + "</div>" : "") + "</div>"
    ).join("");
    // Each role with a fallback chain: the provider a contact gets now.
    document.getElementById("chains").innerHTML = Object.entries(status.chains || {})
      .filter(([, chain]) => chain.links.length > 1)
      .map(([role, chain]) => '<span data-role="' + esc(role) + '" data-active="' + esc(chain.active || "") + '">' +
        esc(role === "llm" ? "script" : "voice") + ": " +
        (chain.active ? "on " + esc(chain.active) + (chain.onFallback ? " (fallback)" : " (primary)") : "every provider down") +
        " · " + chain.links.map((link) => esc(link) + " " + chain.served[link]).join(", ") + "</span>")
      .join(" &nbsp;|&nbsp; ");
    const c = status.campaign.counts, total = Math.max(1, status.campaign.total);
    document.getElementById("campaign").textContent = status.campaign.name;
    document.getElementById("bar").innerHTML = ["completed", "failed", "deferred"].map((k) =>
      '<div class="' + k + '" style="width:' + (100 * c[k] / total) + '%"></div>').join("");
    document.getElementById("counts").textContent =
      c.completed + " completed, " + c.failed + " failed, " + c.deferred + " deferred, " +
      (c.skipped ? c.skipped + " skipped, " : "") +
      (c.pending + c.in_progress) + " to go, " + c.invalid + " invalid · " + status.campaign.ratePerSecond + "/s" +
      (status.campaign.etaSeconds != null ? " · ETA " + status.campaign.etaSeconds + " s" : "");
    document.getElementById("events").innerHTML = events.slice().reverse().map((e) =>
      "<tr><td>" + (e.count > 1 ? (e.firstT / 1000).toFixed(1) + "–" : "") + (e.t / 1000).toFixed(1) + " s</td><td>" +
      esc(e.count > 1 ? e.count + " × " + e.type : e.type) + "</td><td>" + esc(describe(e)) + "</td></tr>").join("");
  } catch (error) {
    document.getElementById("meta").textContent = "cannot reach the agent: " + error;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
