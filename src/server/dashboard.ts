/**
 * The dashboard: one self-contained page (no CDN, no external file) that polls `/status` and
 * `/events` every two seconds: a tile per service coloured by breaker state, its health, the
 * provider each fallback chain is on, a progress bar with counts and rate, and the recent events.
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
</style>
</head>
<body>
<h1>ai-call-agent</h1>
<div class="muted" id="meta">loading…</div>
<div class="tiles" id="tiles"></div>
<p id="chains" class="muted"></p>
<h2>Campaign <span id="campaign"></span></h2>
<div class="bar" id="bar"></div>
<p id="counts" class="muted"></p>
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
  const text = [e.service, e.count > 1 ? "" : e.contactId, e.from && e.to ? e.from + " → " + e.to : "", e.status, e.reason, e.summary]
    .filter(Boolean).join(" · ");
  return text + (e.duplicates ? " (" + e.duplicates + " repeats not sent again)" : "");
}
async function refresh() {
  try {
    const [status, events] = await Promise.all([
      fetch("/status", { cache: "no-store" }).then((r) => r.json()),
      fetch("/events", { cache: "no-store" }).then((r) => r.json()),
    ]);
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
