/**
 * Traces as an operator gets them: `run` with Deno's OpenTelemetry on (`OTEL_DENO=true`,
 * OTLP/HTTP JSON) against fake providers over sockets and an OTLP receiver on 127.0.0.1. The
 * span tree, the GenAI attributes, `traceparent` on the CRM and alert webhooks, the log lines'
 * ids, and what must never be exported, are all read from what reached the receiver and the
 * fakes.
 */
import assert from "node:assert/strict";
import { freePort } from "../_support/free_port.ts";
import {
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { fakeServicesConfig, twilioAccount } from "../_support/fake_services_config.ts";
import { type RunWorkspace, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";
import { captureContentVariable } from "../../src/tracing/mod.ts";

const secrets = {
  llm: "sk-canary-llm-3f9a1c",
  tts: "canary-tts-7b2e",
  crm: "canary-crm-51d0",
  telegram: "123456:CANARYtelegramTOKEN987",
  hook: "canary-hook-secret-0c4",
};
const phone = "+14155551234";
const person = "Ottoline Quarrington";

interface OtlpValue {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
  events: { name: string; attributes: OtlpAttribute[] }[];
  status: { code: number };
}

const clientKind = 3;

/** An OTLP/HTTP receiver: every body it was sent, by path. */
function startOtlpReceiver() {
  const bodies: { path: string; text: string }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      bodies.push({ path: new URL(request.url).pathname, text: await request.text() });
      return Response.json({});
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    spans(): OtlpSpan[] {
      return bodies.filter((b) => b.path === "/v1/traces").flatMap((b) =>
        JSON.parse(b.text).resourceSpans.flatMap((r: { scopeSpans: { spans: OtlpSpan[] }[] }) =>
          r.scopeSpans.flatMap((s) => s.spans)
        )
      );
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** A Telegram Bot API and a webhook that record what they were sent. */
function startAlertEndpoints() {
  const seen: { path: string; traceparent: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    await request.text();
    seen.push({
      path: new URL(request.url).pathname,
      traceparent: request.headers.get("traceparent"),
    });
    return Response.json({ ok: true, result: { message_id: seen.length } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function attribute(
  attributes: OtlpAttribute[],
  key: string,
): string | number | (string | number | undefined)[] | undefined {
  const value = attributes.find((a) => a.key === key)?.value;
  if (!value) return undefined;
  return scalar(value) ?? value.arrayValue?.values.map(scalar);
}

function scalar(value: OtlpValue): string | number | undefined {
  return value.stringValue ?? value.doubleValue ??
    (value.intValue === undefined ? undefined : Number(value.intValue));
}

/** Runs `run` in `ws` as the start task does, with the fakes' keys and Deno's OpenTelemetry
 * exporting to the receiver at `otlpUrl`; `env` adds to that. */
function runTraced(ws: RunWorkspace, otlpUrl: string, env: Record<string, string>) {
  return finished(spawnMain(
    ws.args(),
    ws.at({
      env: {
        T_LLM: secrets.llm,
        T_TTS: secrets.tts,
        T_TEL: twilioAccount.authToken,
        T_CRM: secrets.crm,
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
        ...env,
      },
    }),
  ));
}

Deno.test("with OTEL_DENO=true, one contact's retry and breaker refusal make the expected span tree, and no secret, phone or name is exported", async () => {
  await using otlp = startOtlpReceiver();
  await using endpoints = startAlertEndpoints();
  // The script's first answer is a 503 (one retry); the voice fails twice, which opens its
  // breaker (threshold 2), so the third try is refused and the contact waits for it.
  await using llm = startFakeOpenAi({
    apiKey: secrets.llm,
    faults: [{ fail: "unavailable", calls: 1 }],
  });
  await using tts = startFakeElevenLabs({
    apiKey: secrets.tts,
    faults: [{ fail: "unavailable", calls: 2 }],
  });
  await using twilio = startFakeTwilio({ ...twilioAccount, ringMs: 0, talkMs: 0 });
  await using crm = startFakeWebhookCrm({ apiKey: secrets.crm });
  // The call plays the voice from the run's status server, as Twilio would through a tunnel.
  const port = freePort();
  await using ws = await runWorkspace({
    prefix: "traces-",
    rows: [`c1,${person},${phone}`],
    config: {
      server: { port },
      retry: { maxRetries: 3, initialDelayMs: 20, maxDelayMs: 50, jitterMs: 0 },
      breaker: { failureThreshold: 2, recoveryTimeoutMs: 200 },
      health: { intervalMs: 100, timeoutMs: 1_000 },
      services: fakeServicesConfig({ llm, tts, crm, telephony: twilio }, {
        publicBaseUrl: `http://127.0.0.1:${port}`,
      }),
      alerts: {
        groupWaitMs: 0,
        routes: { critical: ["*"], error: ["*"], warning: ["*"], info: ["*"] },
        channels: {
          tg: { kind: "telegram", baseUrl: endpoints.url, chatId: 42, tokenEnv: "T_TG" },
          hook: { kind: "webhook", url: `${endpoints.url}/hook`, secretEnv: "T_HOOK" },
        },
      },
    },
  });
  const done = await runTraced(ws, otlp.url, {
    T_TG: secrets.telegram,
    T_HOOK: secrets.hook,
    OTEL_SERVICE_NAME: "ai-call-agent-test",
  });
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout + done.stderr, /1 completed, 0 failed, 0 deferred/);

  const spans = otlp.spans();
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = (parent: OtlpSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
  const contacts = spans.filter((s) => s.name === "contact");
  assert.equal(contacts.length, 2, "the contact was taken twice: deferred, then completed");
  const [deferred, completed] = contacts.sort((a, b) =>
    String(attribute(a.attributes, "ai_call_agent.contact.status")).localeCompare(
      String(attribute(b.attributes, "ai_call_agent.contact.status")),
    )
  ).reverse();
  assert.equal(attribute(deferred.attributes, "ai_call_agent.contact.status"), "deferred");
  assert.equal(attribute(deferred.attributes, "ai_call_agent.contact.id"), "c1");
  assert.equal(attribute(deferred.attributes, "ai_call_agent.contact.reason"), "circuit-open");
  const deferral = deferred.events.find((e) => e.name === "deferred");
  assert.ok(deferral, "the deferral is an event of the contact's span");
  assert.equal(attribute(deferral.attributes, "ai_call_agent.service"), "tts");

  // The first time: the script (a failed attempt, then one that served), then the voice (two
  // failed attempts, then the breaker's refusal as an event of the step).
  const steps = children(deferred);
  assert.deepEqual(steps.map((s) => s.name).sort(), ["step llm", "step tts"]);
  const llmStep = steps.find((s) => s.name === "step llm")!;
  const llmAttempts = children(llmStep).sort((a, b) =>
    Number(attribute(a.attributes, "ai_call_agent.attempt")) -
    Number(attribute(b.attributes, "ai_call_agent.attempt"))
  );
  assert.equal(llmAttempts.length, 2);
  for (const attempt of llmAttempts) {
    assert.equal(attempt.kind, clientKind, "an attempt is a client span");
    assert.match(attempt.name, /^chat /);
    assert.equal(attribute(attempt.attributes, "gen_ai.operation.name"), "chat");
    assert.equal(attribute(attempt.attributes, "gen_ai.provider.name"), "openai");
    assert.ok(attribute(attempt.attributes, "gen_ai.request.model"));
    // Deno's fetch span nests under its attempt.
    const fetches = children(attempt);
    assert.equal(fetches.length, 1, `one request under attempt ${attempt.name}`);
    assert.equal(fetches[0].kind, clientKind);
  }
  assert.equal(attribute(llmAttempts[0].attributes, "ai_call_agent.attempt"), 1);
  assert.equal(attribute(llmAttempts[0].attributes, "error.type"), "ServiceUnavailableError");
  assert.equal(llmAttempts[0].status.code, 2, "the failed attempt's status is an error");
  assert.equal(attribute(llmAttempts[1].attributes, "ai_call_agent.attempt"), 2);
  assert.equal(attribute(llmAttempts[1].attributes, "ai_call_agent.outcome"), "success");
  assert.ok(Number(attribute(llmAttempts[1].attributes, "gen_ai.usage.input_tokens")) > 0);
  assert.ok(Number(attribute(llmAttempts[1].attributes, "gen_ai.usage.output_tokens")) > 0);
  assert.deepEqual(attribute(llmAttempts[1].attributes, "gen_ai.response.finish_reasons"), [
    "stop",
  ]);
  assert.equal(
    attribute(llmAttempts[1].attributes, "gen_ai.output.messages"),
    undefined,
    `no script unless ${captureContentVariable} says so`,
  );
  assert.equal(attribute(llmStep.attributes, "ai_call_agent.provider"), "llm");

  const ttsStep = steps.find((s) => s.name === "step tts")!;
  const ttsAttempts = children(ttsStep);
  assert.equal(ttsAttempts.length, 2, "two voice attempts reached the provider");
  assert.ok(ttsAttempts.every((a) => attribute(a.attributes, "error.type")));
  const refusal = ttsStep.events.find((e) => e.name === "breaker refused");
  assert.ok(refusal, "the breaker's refusal is an event of the step");
  assert.equal(attribute(refusal.attributes, "ai_call_agent.service"), "tts");
  assert.equal(tts.count("/v1/text-to-speech", "POST"), 3, "two failures, then the success");

  // The second time: the script is kept, the voice, the call and the outcome are done.
  assert.equal(attribute(completed.attributes, "ai_call_agent.contact.status"), "completed");
  assert.deepEqual(children(completed).map((s) => s.name).sort(), [
    "step call",
    "step crm",
    "step tts",
  ]);
  const crmStep = children(completed).find((s) => s.name === "step crm")!;
  const [crmAttempt] = children(crmStep);
  const [crmFetch] = children(crmAttempt);
  // The CRM was told the trace: its request carried traceparent naming the fetch's span.
  const outcome = crm.requests.find((r) => r.path === "/outcomes" && r.result === "ok");
  assert.equal(
    outcome?.headers["traceparent"],
    `00-${completed.traceId}-${crmFetch.spanId}-01`,
  );
  // The alert webhook too, from the alert's delivery attempt; Telegram went out untraced.
  const hooked = endpoints.seen.filter((s) => s.path === "/hook");
  assert.ok(hooked.length > 0, "an alert reached the webhook");
  for (const { traceparent } of hooked) {
    assert.match(traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, spanId] = traceparent!.split("-");
    const parent = byId.get(spanId);
    assert.equal(parent?.traceId, traceId, "the webhook's traceparent names an exported span");
  }
  assert.ok(endpoints.seen.some((s) => s.path === `/bot${secrets.telegram}/sendMessage`));

  // The log lines carry the ids of the span they were written in.
  const logLines = (await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`)).trim().split("\n")
    .map((line) => JSON.parse(line));
  const traced = logLines.filter((line) => line.properties?.trace_id);
  assert.ok(traced.length > 0, "log lines carry trace_id and span_id");
  for (const line of traced) {
    assert.equal(byId.get(line.properties.span_id)?.traceId, line.properties.trace_id);
  }

  // Nothing exported holds a secret, the phone number, the person's name or the script.
  const exported = otlp.bodies.map((b) => b.text).join("\n");
  assert.ok(exported.length > 0);
  for (const value of [...Object.values(secrets), twilioAccount.authToken, phone, person]) {
    assert.ok(!exported.includes(value), `the exports hold no ${value.slice(0, 6)}...`);
  }
  assert.ok(!exported.includes(phone.slice(1)), "not even the number without its +");
  assert.ok(!exported.includes(encodeURIComponent(phone)), "nor URL-encoded");
  // The fake's script names the person and says this: neither reached the exports.
  assert.ok(!exported.includes("fake assistant calling"), "the exports hold no script text");
});

Deno.test(`with ${captureContentVariable}=true, the script is on its LLM attempt and nothing else is`, async () => {
  await using otlp = startOtlpReceiver();
  await using llm = startFakeOpenAi({ apiKey: secrets.llm });
  await using tts = startFakeElevenLabs({ apiKey: secrets.tts });
  await using crm = startFakeWebhookCrm({ apiKey: secrets.crm });
  await using ws = await runWorkspace({
    prefix: "traces-content-",
    rows: [`c1,${person},${phone}`],
    config: { services: fakeServicesConfig({ llm, tts, crm }, { audioDir: "" }) },
  });
  const done = await runTraced(ws, otlp.url, { [captureContentVariable]: "true" });
  assert.equal(done.code, 0, done.stderr);
  const spans = otlp.spans();
  const [attempt] = spans.filter((s) => s.name.startsWith("chat "));
  assert.ok(attempt, "the LLM attempt was exported");
  const script = `Hello ${person}, this is a fake assistant calling. Do you have a minute?`;
  assert.deepEqual(
    JSON.parse(String(attribute(attempt.attributes, "gen_ai.output.messages"))),
    [{ role: "assistant", parts: [{ type: "text", content: script }], finish_reason: "stop" }],
  );
  // The script (which names the person) is on that one attribute; the prompt, the phone and
  // the keys are on nothing.
  const elsewhere = JSON.stringify(spans.map((s) => ({
    ...s,
    attributes: s.attributes.filter((a) => a.key !== "gen_ai.output.messages"),
  })));
  const exported = otlp.bodies.filter((b) => b.path !== "/v1/traces").map((b) => b.text)
    .join("\n") + elsewhere;
  for (const value of [secrets.llm, secrets.tts, secrets.crm, phone, person, "Person called"]) {
    assert.ok(!exported.includes(value), `no ${value.slice(0, 6)}... outside the script`);
  }
});
