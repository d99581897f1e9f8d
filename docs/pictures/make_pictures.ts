// deno-lint-ignore-file no-console -- a script: printing what it wrote is its job
/**
 * Makes the pictures README shows (`deno task pictures`), in headless Chromium (Debian's
 * `chromium`):
 *
 * - `dashboard.png`: the dashboard at 03:04 in a scripted outage on a virtual clock: the voice
 *   down from 03:00:30 to 03:01:15, back, then down again from 03:02:00 for good (the run ends
 *   waiting for it), 300 contacts, each call taking 400 ms.
 * - `simulation.png`: `simulate --html`'s page of the seed story, made by the `simulate` task
 *   as a user runs it.
 */
import { HeadlessChromium } from "../../tests/_support/headless_chromium.ts";
import { runScriptedOutage } from "../../tests/_support/scripted_outage.ts";

const chromium = "/usr/bin/chromium";
const here = new URL(".", import.meta.url).pathname;
const root = new URL("../../", import.meta.url).pathname;

const start = Date.UTC(2026, 11, 4, 3, 0, 0);
const { t, app } = await runScriptedOutage({
  contacts: 300,
  startMs: start,
  voiceFaults: [
    { fail: "unavailable", fromMs: start + 30_000, untilMs: start + 75_000 },
    { fail: "unavailable", fromMs: start + 120_000 },
  ],
  config: { processor: { concurrency: 4, recoveryWaitMs: 60_000 } },
});
await using _agent = t.agent;
using status = app;
await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, status.fetch);
await using browser = await HeadlessChromium.launch(chromium);
await browser.navigate(`http://127.0.0.1:${server.addr.port}/`);
await browser.waitFor(`document.querySelectorAll("rect.seg").length > 0`);
await Deno.writeFile(`${here}dashboard.png`, await browser.screenshot(1280));
console.log(`wrote ${here}dashboard.png`);

const simulate = await new Deno.Command("npx", {
  args: ["-y", "deno@2.9.6", "task", "simulate", "--html", "logs/simulation.html"],
  cwd: root,
  stdout: "null",
  stderr: "inherit",
}).output();
if (!simulate.success) throw new Error("deno task simulate --html failed");
await browser.navigate(`file://${root}logs/simulation.html`);
await browser.waitFor(`document.querySelectorAll("g.contact").length > 0`);
await Deno.writeFile(`${here}simulation.png`, await browser.screenshot(1160));
console.log(`wrote ${here}simulation.png`);
