// deno-lint-ignore-file no-console -- a report script: printing is its job
/**
 * What traces cost (`deno task bench:traces`): the campaign rate of `run` (mock services, the
 * ledger on disk, JSON logs on) with tracing off, against the same run with `OTEL_DENO=true`
 * exporting every span over OTLP/HTTP JSON to a receiver on 127.0.0.1, alternating off and on,
 * the median of each. A contact is about nine spans (the contact, four steps, four attempts).
 */
import { campaignRate } from "./_run.ts";

const contacts = 20_000;
const rounds = 3;

let spans = 0;
await using receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (r) => {
  const text = await r.text();
  if (new URL(r.url).pathname === "/v1/traces") spans += text.split('"spanId"').length - 1;
  return Response.json({});
});
const on = {
  OTEL_DENO: "true",
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
};
const off: number[] = [];
const traced: number[] = [];
for (let round = 0; round < rounds; round++) {
  off.push((await campaignRate(contacts, "data/ledger.db")).contactsPerSecond);
  traced.push((await campaignRate(contacts, "data/ledger.db", on)).contactsPerSecond);
}
const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];
console.log(`run, ${contacts.toLocaleString("en")} contacts, mock services, ledger on disk:`, {
  off,
  on: traced,
  ratio: Number((median(traced) / median(off)).toFixed(2)),
  spansExportedPerTracedContact: Number((spans / (contacts * rounds)).toFixed(1)),
});
