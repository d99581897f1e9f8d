/**
 * A contact's fate, row by row of README's "A contact's fate" table: every row of that table
 * has a case here and every case a row, so the manual and the code cannot drift apart.
 */
import assert from "node:assert/strict";
import { VirtualClock } from "../../src/clock/mod.ts";
import {
  AuthenticationError,
  CircuitOpenError,
  ConnectionError,
  InvalidRequestError,
  NotFoundError,
  QuotaExceededError,
  RetriesExhaustedError,
  ServiceUnavailableError,
  SlotWaitTimeoutError,
  TimeoutError,
} from "../../src/errors.ts";
import { classifyResponse, type ErrorTable } from "../../src/http/mod.ts";
import {
  AttemptsExhausted,
  contactFate,
  type FateRules,
} from "../../src/processor/contact_fate.ts";
import type { ContactResult } from "../../src/processor/mod.ts";
import { RetryPolicy } from "../../src/retry/mod.ts";
import { retryOptions } from "../_support/fixtures.ts";

const rules: FateRules = {
  now: 1_000_000,
  maxAttemptsPerStep: 12,
  redial: { maxDials: 3, delayMs: 3_600_000 },
  recoveryTimeoutMs: (service) => service === "tts" ? 30_000 : 60_000,
  numberBusyRetryMs: 15_000,
};

/** The fate's status and reason (and, deferred, how long it waits), as the table says them. */
function summary(result: ContactResult | "go-on"): string {
  if (result === "go-on") return "go-on";
  switch (result.status) {
    case "completed":
      return "completed";
    case "skipped":
      return `skipped ${result.reason}`;
    case "failed":
      return `failed ${result.reason}`;
    case "deferred":
      return `deferred ${result.reason} for ${result.until - rules.now} ms (${result.service})`;
  }
}

const failedAt = (step: "llm" | "tts" | "call" | "crm", error: unknown, attempts = 1) =>
  summary(contactFate("c1", { kind: "step-failed", step, error, attempts }, rules));

const table: ErrorTable = { provider: "test", rules: [], readError: () => ({}) };
const response = (status: number, retryAfterMs?: number) =>
  classifyResponse(table, { service: "tts", status, retryAfterMs });

/** One check per row of README's table, keyed by the row's first column. */
const cases: Record<string, () => void | Promise<void>> = {
  "success": () => {
    assert.equal(
      summary(contactFate("c1", { kind: "completed", recordId: "r1" }, rules)),
      "completed",
    );
    const answered = { kind: "call-ended", status: "completed", dials: 1, sid: "CA1" } as const;
    assert.equal(summary(contactFate("c1", answered, rules)), "go-on", "on to the CRM");
  },
  "the call was `busy` or `no-answer`, dials left (`campaign.redial`)": () => {
    for (const status of ["busy", "no-answer"] as const) {
      assert.equal(
        summary(contactFate("c1", { kind: "call-ended", status, dials: 2, sid: "CA1" }, rules)),
        "deferred redial for 3600000 ms (redial)",
      );
      assert.equal(
        summary(contactFate("c1", { kind: "call-ended", status, dials: 3, sid: "CA1" }, rules)),
        "go-on",
        "no dial left: the CRM records how it ended",
      );
    }
  },
  "outside its calling hours (`campaign.callWindow`), before a dial": () => {
    const opensAt = rules.now + 7_200_000;
    assert.equal(
      summary(contactFate("c1", { kind: "outside-calling-hours", opensAt }, rules)),
      "deferred outside-calling-hours for 7200000 ms (calling-hours)",
    );
  },
  "its number is on the do-not-call list (`campaign.doNotCall`), at its start or before a dial":
    () => {
      const result = contactFate("c1", {
        kind: "not-to-be-called",
        reason: "do-not-call",
        message: "+14155550100 is on the do-not-call list",
        recordId: "r1",
      }, rules);
      assert.equal(summary(result), "skipped do-not-call");
      assert.equal(result.status === "skipped" && result.recordId, "r1", "the CRM records why");
    },
  "the campaign's or the day's spend cap (`budget.campaign`, `budget.daily`) is reached, before a paid step":
    () => {
      const until = rules.now + 3_600_000;
      const result = contactFate("c1", {
        kind: "budget-reached",
        cap: "daily",
        until,
        message: "the campaign has spent 10.0000 USD on 2026-12-04, its daily cap is 10.0000",
      }, rules);
      assert.equal(summary(result), "deferred budget for 3600000 ms (budget)");
    },
  "its own spend reached `budget.perContact`, before a paid step": () => {
    const result = contactFate("c1", {
      kind: "over-budget",
      message: "this contact has cost 0.5000 USD, its cap is 0.5000",
    }, rules);
    assert.equal(summary(result), "failed over-budget");
  },
  "every provider of the script's chain wrote two scripts the [checks](#what-is-paid-for) rejected":
    () => {
      const result = contactFate("c1", {
        kind: "script-rejected",
        rejections: { placeholder: 2, refusal: 2 },
        last: "claude: refusal: stop reason refusal",
      }, rules);
      assert.equal(summary(result), "failed script-rejected");
      assert.match(
        result.status === "failed" ? result.message : "",
        /\(rejected: placeholder 2, refusal 2\); the last: claude: refusal/,
      );
    },
  "`call-once` and its number was dialled for another contact of the campaign": () => {
    const result = contactFate("c2", {
      kind: "not-to-be-called",
      reason: "duplicate-phone",
      message: "its number was called for c1",
      recordId: "r2",
      firstContactId: "c1",
    }, rules);
    assert.equal(summary(result), "skipped duplicate-phone");
    assert.equal(result.status === "skipped" && result.firstContactId, "c1");
  },
  "another contact is dialling its number now (any campaign, any agent)": () => {
    assert.equal(
      summary(contactFate("c2", { kind: "number-busy", message: "c1 dials it" }, rules)),
      "deferred same-phone for 15000 ms (same-phone)",
    );
  },
  "transient failure (5xx, 408, 429 with a short Retry-After, timeout, dropped, malformed answer)":
    async () => {
      const transient = [
        response(503),
        response(500),
        response(408),
        response(429, 2_000),
        new TimeoutError({ service: "tts", timeoutMs: 15_000 }),
        new ConnectionError({ service: "tts", message: "connection reset mid-body" }),
        new ServiceUnavailableError({ service: "tts", code: "malformed_response" }),
      ];
      for (const error of transient) {
        const clock = new VirtualClock();
        const retry = new RetryPolicy(retryOptions({ maxRetries: 2 }), { clock, random: () => 0 });
        let calls = 0;
        const result = await clock.run(() =>
          retry.execute(() => ++calls === 1 ? Promise.reject(error) : Promise.resolve("ok"))
        );
        assert.deepEqual([result, calls], ["ok", 2], `${error.name} ${error.message}: retried`);
      }
    },
  "the service's breaker is OPEN (before the first step, or it opened meanwhile)": () => {
    const open = new CircuitOpenError({ service: "tts", remainingMs: 10_000 });
    assert.equal(
      summary(contactFate("c1", { kind: "breaker-open", service: "tts", error: open }, rules)),
      "deferred circuit-open for 0 ms (tts)",
      "taken again as soon as the breaker lets calls through",
    );
    assert.equal(failedAt("tts", open), "deferred circuit-open for 0 ms (tts)");
  },
  "service-wide error (bad key, quota gone, model or voice missing, redirect)": () => {
    for (
      const error of [
        new AuthenticationError({ service: "llm", status: 401 }),
        new QuotaExceededError({ service: "llm", status: 429 }),
        new NotFoundError({
          service: "llm",
          status: 404,
          scope: "service",
          code: "model_not_found",
        }),
        new NotFoundError({ service: "llm", status: 301, scope: "service", code: "redirect" }),
      ]
    ) {
      assert.equal(failedAt("llm", error), "deferred service-wide for 0 ms (llm)", error.message);
    }
  },
  "retries ran out on a service whose breaker stayed closed": () => {
    const exhausted = new RetriesExhaustedError({
      service: "tts",
      reason: "exhausted",
      attempts: 4,
      cause: response(503),
    });
    assert.equal(
      failedAt("tts", exhausted),
      "deferred retries-exhausted for 30000 ms (tts)",
      "until the breaker's recovery time",
    );
  },
  "Retry-After above `retry.maxRetryAfterMs`": () => {
    const paused = new RetriesExhaustedError({
      service: "call",
      reason: "retry-after-too-long",
      attempts: 1,
      retryAfterMs: 600_000,
      cause: response(429, 600_000),
    });
    assert.equal(failedAt("call", paused), "deferred paused for 0 ms (telephony)");
  },
  "no bulkhead slot within `slotWaitMs`": () => {
    assert.equal(
      failedAt("tts", new SlotWaitTimeoutError({ service: "tts", waitedMs: 30_000 })),
      "deferred no-slot for 0 ms (tts)",
    );
  },
  "contact-specific permanent error (400/422 about this contact's input, an invalid number)":
    () => {
      assert.equal(failedAt("call", response(400)), "failed permanent");
      assert.equal(failedAt("crm", response(422)), "failed permanent");
      const invalidNumber = new InvalidRequestError({ service: "telephony", code: "21211" });
      assert.equal(failedAt("call", invalidNumber), "failed permanent");
    },
  "the step's attempts that reached its provider, over all runs, reach `processor.maxAttemptsPerStep` (12)":
    () => {
      assert.equal(failedAt("tts", new AttemptsExhausted("tts"), 12), "failed attempts-exhausted");
      const stillFlaky = new RetriesExhaustedError({
        service: "tts",
        reason: "exhausted",
        attempts: 4,
        cause: response(503),
      });
      assert.equal(failedAt("tts", stillFlaky, 12), "failed attempts-exhausted");
      assert.equal(
        failedAt("tts", stillFlaky, 11),
        "deferred retries-exhausted for 30000 ms (tts)",
      );
    },
  "`campaign.deadline` passed": () => {
    const deadline = Date.parse("2026-12-01T18:00:00Z");
    const result = contactFate("c1", { kind: "deadline-passed", deadline }, rules);
    assert.equal(summary(result), "failed deadline-passed");
    assert.match(result.status === "failed" ? result.message : "", /2026-12-01T18:00:00\.000Z/);
  },
  "a bug in our own code": () => {
    assert.equal(failedAt("llm", new TypeError("x is undefined")), "failed internal-error");
  },
};

/** The first column of README's fate table, row by row. */
async function readmeRows(): Promise<string[]> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const heading = readme.search(/^#+ A contact's fate$/m);
  assert.ok(heading >= 0, 'README has no heading "A contact\'s fate"');
  const section = readme.slice(heading);
  const lines = section.split("\n");
  const start = lines.findIndex((line) => line.startsWith("| what happened"));
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.split("|")[1].trim());
  }
  return rows;
}

Deno.test("every row of README's fate table has a case here, and every case a row", async () => {
  const rows = await readmeRows();
  assert.ok(rows.length >= 10, `read ${rows.length} rows`);
  assert.deepEqual(rows.filter((row) => !(row in cases)), [], "rows without a case");
  assert.deepEqual(
    Object.keys(cases).filter((key) => !rows.includes(key)),
    [],
    "cases without a row",
  );
});

for (const [row, check] of Object.entries(cases)) {
  Deno.test(`fate: ${row}`, async () => await check());
}
