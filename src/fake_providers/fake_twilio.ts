import { Hono } from "hono";
import type { Context } from "hono";
import { Buffer } from "node:buffer";
import { type Clock, systemClock } from "../clock/mod.ts";
import { isE164 } from "../domain/mod.ts";
import { Emitter } from "../events/mod.ts";
import { type FaultKind, twilioSignature } from "../services/mod.ts";
import {
  droppedResponse,
  type FakeErrorResponse,
  FakeProviderState,
  type FakeServer,
  type HttpFaultRule,
  serveFake,
} from "./fake_server.ts";

/** How a call to a number goes in the fake: `invalid` is refused at create (21217). */
export type FakeCallOutcome = "completed" | "busy" | "no-answer" | "failed" | "invalid";

/** Settings of the fake Twilio. */
export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
  /** The account's caller number, or its numbers: any other `From` is refused (21210). */
  from: string | readonly string[];
  faults?: readonly HttpFaultRule[];
  clock?: Clock;
  /** Time from create to answer (or to busy / no-answer). @default 50 */
  ringMs?: number;
  /** Time an answered call lasts. @default 100 */
  talkMs?: number;
  /** What a call that was not answered (busy, no-answer, failed) is billed, as a carrier that
   * charges each attempt would. Unset: nothing (Twilio's own rule). */
  pricePerAttempt?: number;
  /** Whether Twilio has priced the calls yet (its `price` stays null until then).
   * @default always */
  priced?: () => boolean;
  /** The duration a completed call reports, in seconds. @default talkMs, rounded */
  durationS?: number;
  /** What a completed call is billed per started minute: its `price` (as Twilio writes it, a
   * negative decimal string) once it ended. Unset: `price` stays null, as Twilio's does until
   * it has priced the call. */
  pricePerMinute?: number;
  /** How the `dial`-th call to `to` goes. @default every call is answered */
  outcomeOf?: (to: string, dial: number) => FakeCallOutcome;
  /** Sends status callbacks (signed) where a call asked for them. @default true */
  callbacks?: boolean;
  /** Delivers callbacks. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * What becomes of the `n`-th create to `to` (1-based, every create to that number counted),
   * beyond the fault script: `drop-after`: the call is created, then the connection drops;
   * `hang-after`: created, then never answered; `apply-late`: the request is held
   * `applyLateMs` (past the client's deadline), then the call is created and answered.
   */
  createFault?: (to: string, n: number) => CreateFault | undefined;
  /** How long an `apply-late` create is held before the call is created. @default 4500 */
  applyLateMs?: number;
  /** A call shows in the call list only this long after it was created: the list lags
   * behind creates. @default 0 */
  listLagMs?: number;
  /** Awaited when a create arrives, before it is acted on: a test's moment to change the
   * world (edit a file, say) at a known point of the run. */
  holdCreate?: (create: CreateReceived) => Promise<void> | void;
  /** Who answers a call to `to` when it asked for machine detection (`AnsweredBy`): `human`,
   * `machine_start`, `machine_end_beep`, `machine_end_silence`, `fax`, `unknown`. With
   * `MachineDetection=Enable` a machine is `machine_start`; with `DetectMessageEnd` it is told
   * once its greeting ended. @default human */
  answeredBy?: (to: string) => string;
  /** The account's calls per second: creates beyond it wait in the queue (`queued`, with a
   * `queue_time`) before they ring, as Twilio's do. Unset: every call rings at once. */
  callsPerSecond?: number;
  /** The digits the person called presses at a `<Gather>`. @default none */
  presses?: (to: string) => string | undefined;
}

/** A fault of one create, chosen by its number (see {@link FakeTwilioOptions.createFault}). */
export type CreateFault = "drop-after" | "hang-after" | "apply-late";

/** A create as it reached the fake (`received`), and once its call exists (`created`). */
export interface CreateReceived {
  stage: "received" | "created";
  to: string;
  /** Its rank among the creates to `to`. */
  n: number;
  fault?: CreateFault;
  /** The call, once created. */
  call?: FakeCall;
}

/** One call the fake created. */
export interface FakeCall {
  sid: string;
  to: string;
  from: string;
  createdAt: number;
  outcome: Exclude<FakeCallOutcome, "invalid">;
  twiml?: string;
  statusCallback?: string;
  machineDetection?: string;
  /** The TwiML URL the call fetches its instructions from when answered (instead of `twiml`). */
  url?: string;
  /** What fetching `url` gave: our server's answer, the TwiML it served, and who had answered. */
  served?: { status: number; twiml: string; answeredBy?: string };
  /** What fetching the `<Play>` URL gave when the call was answered, as Twilio fetches it. */
  played?: { status: number; bytes: number };
  /** When it started ringing (after its turn in the account's queue). */
  ringAt: number;
  /** Milliseconds it waited in the account's queue before ringing. */
  queueMs: number;
  /** Who answered, when machine detection was asked for. */
  answeredBy?: string;
  /** It was canceled before it was answered (`Status=canceled`), or hung up (`completed`). */
  endedBy?: { status: "canceled" | "completed"; at: number };
  /** The digits pressed at a `<Gather>`, and our server's answer to its action. */
  gathered?: { digits: string; status: number; twiml: string };
}

/** A running fake Twilio. */
export interface FakeTwilioServer extends FakeServer {
  /** Every call created, in order. */
  calls: FakeCall[];
  /** Calls created to `to`. */
  callsTo(to: string): FakeCall[];
  /** Status callbacks delivered: the URL, the form, and our server's answer. */
  callbacks: { url: string; params: Record<string, string>; status: number }[];
  /** Told of every create as it arrives (before it is held or acted on) and once its call
   * exists. */
  onCreate(listener: (create: CreateReceived) => void): Disposable;
  /** Calls to one number that were under way at the same time, as pairs of sids. */
  overlapping(): [string, string][];
  /** Resolves once no create is being held (`apply-late`): every create received is applied,
   * so counting calls now counts them all. */
  whenIdle(): Promise<void>;
}

/** Twilio's JSON error body. */
function twilioError(status: number, code: number, message: string): FakeErrorResponse {
  return {
    status,
    body: {
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    },
  };
}

/** Twilio's error responses per fault kind (as published by the provider; summarised in `docs/providers.md`). */
function twilioErrorFor(kind: FaultKind, rule: HttpFaultRule): FakeErrorResponse {
  switch (kind) {
    case "rate-limit":
      return {
        ...twilioError(429, 20429, "Too Many Requests"),
        headers: { "retry-after": String((rule.retryAfterMs ?? 1000) / 1000) },
      };
    case "auth":
      return twilioError(401, 20003, "Authenticate");
    case "invalid-request":
      return twilioError(400, 21211, "The 'To' number is not a valid phone number.");
    case "not-found":
      return twilioError(404, 20404, "The requested resource was not found");
    case "quota":
      return twilioError(400, 21219, "The 'To' phone number is not verified (trial account).");
    default:
      return twilioError(503, 20500, "Service Unavailable");
  }
}

/**
 * A fake Twilio Calls API (2010-04-01) on 127.0.0.1: Basic auth, form bodies, JSON answers and
 * Twilio's error bodies; calls whose status advances with the clock (queued, ringing,
 * in-progress, then completed, busy or no-answer); the call list with its filters and pages;
 * signed status callbacks. Faults can hang, drop the connection or answer 5xx *after* a call
 * was created: the ambiguous failures a client must not answer by dialling again.
 */
export function startFakeTwilio(options: FakeTwilioOptions): FakeTwilioServer {
  const clock = options.clock ?? systemClock;
  const accountNumbers: readonly string[] = typeof options.from === "string"
    ? [options.from]
    : options.from;
  /** When the account's queue lets the next call ring. */
  let nextTurn = 0;
  /** Who answers `to`, as machine detection `mode` names it. */
  const answererOf = (to: string, mode: string) => {
    const who = options.answeredBy?.(to) ?? "human";
    return mode === "Enable" && who.startsWith("machine_") ? "machine_start" : who;
  };
  const ringMs = options.ringMs ?? 50;
  const talkMs = options.talkMs ?? 100;
  const state = new FakeProviderState(
    "telephony",
    options.faults ?? [],
    clock,
    twilioErrorFor,
  );
  const calls: FakeCall[] = [];
  const bySid = new Map<string, FakeCall>();
  const dialsTo = new Map<string, number>();
  const createsTo = new Map<string, number>();
  const creates = new Emitter<CreateReceived>();
  const listLagMs = options.listLagMs ?? 0;
  const held = new Set<Promise<void>>();
  const callbacks: FakeTwilioServer["callbacks"] = [];
  const background = new AbortController();
  const deliveries = new Set<Promise<void>>();
  const basic = `Basic ${
    Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")
  }`;
  const app = new Hono();
  const server = serveFake(app, state) as FakeTwilioServer;
  const close = server.close;
  server.close = async () => {
    background.abort();
    await Promise.allSettled([...deliveries]);
    await close();
  };
  server[Symbol.asyncDispose] = server.close;
  server.calls = calls;
  server.callsTo = (to) => calls.filter((call) => call.to === to);
  server.callbacks = callbacks;
  server.onCreate = (listener) => creates.on(listener);
  server.whenIdle = async () => {
    while (held.size > 0) await Promise.allSettled([...held]);
  };
  server.overlapping = () => {
    const pairs: [string, string][] = [];
    const endOf = (call: FakeCall) =>
      call.endedBy?.at ?? call.ringAt + (call.outcome === "completed" ? ringMs + talkMs : ringMs);
    for (const [i, a] of calls.entries()) {
      for (const b of calls.slice(i + 1)) {
        if (a.to === b.to && b.createdAt < endOf(a) && a.createdAt < endOf(b)) {
          pairs.push([a.sid, b.sid]);
        }
      }
    }
    return pairs;
  };

  const fail = (c: Context, error: FakeErrorResponse) =>
    c.json(error.body, error.status as 400, error.headers);
  const base = "/2010-04-01/Accounts/:account";

  app.use("*", async (c, next) => {
    await state.record(c);
    if (c.req.header("authorization") !== basic) {
      return fail(c, twilioError(401, 20003, "Authenticate"));
    }
    return await next();
  });
  // Another account's calls do not exist for these credentials.
  const notFound = (c: Context) =>
    fail(c, twilioError(404, 20404, "The requested resource was not found"));
  const otherAccount = (c: Context) => c.req.param("account") !== options.accountSid;

  app.get(`/2010-04-01/Accounts/:file`, async (c) => {
    if (c.req.param("file") !== `${options.accountSid}.json`) return notFound(c);
    return (await state.fault(c, true)) ??
      c.json({ sid: options.accountSid, status: "active", type: "Full" });
  });

  app.post(`${base}/Calls.json`, async (c) => {
    if (otherAccount(c)) return notFound(c);
    const form = new URLSearchParams(await c.req.text());
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const to = form.get("To") ?? "";
    if (!isE164(to)) {
      return fail(c, twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
    }
    const from = form.get("From") ?? "";
    if (!accountNumbers.includes(from)) {
      return fail(
        c,
        twilioError(
          400,
          21210,
          "The source phone number provided is not yet verified for your account.",
        ),
      );
    }
    if (!form.get("Twiml") && !form.get("Url")) {
      return fail(c, twilioError(400, 21205, "Url parameter is required."));
    }
    const nth = (createsTo.get(to) ?? 0) + 1;
    createsTo.set(to, nth);
    const createFault = options.createFault?.(to, nth);
    const received: CreateReceived = { stage: "received", to, n: nth, fault: createFault };
    creates.emit(received);
    await options.holdCreate?.(received);
    if (createFault === "apply-late") {
      const holding = clock.sleep(options.applyLateMs ?? 4_500, background.signal);
      const tracked = holding.catch(() => {});
      held.add(tracked);
      try {
        await holding;
      } catch {
        return new Response(null, { status: 504 });
      } finally {
        held.delete(tracked);
      }
    }
    const dial = (dialsTo.get(to) ?? 0) + 1;
    const outcome = options.outcomeOf?.(to, dial) ?? "completed";
    if (outcome === "invalid") {
      return fail(c, twilioError(400, 21217, `Phone number ${to} is not a valid phone number.`));
    }
    dialsTo.set(to, dial);
    const createdAt = clock.now();
    // Beyond the account's calls per second, a call waits its turn in the queue.
    const ringAt = options.callsPerSecond ? Math.max(createdAt, nextTurn) : createdAt;
    if (options.callsPerSecond) nextTurn = ringAt + 1_000 / options.callsPerSecond;
    const machineDetection = form.get("MachineDetection") ?? undefined;
    const call: FakeCall = {
      sid: `CA${crypto.randomUUID().replaceAll("-", "")}`,
      to,
      from,
      createdAt,
      ringAt,
      queueMs: ringAt - createdAt,
      outcome,
      twiml: form.get("Twiml") ?? undefined,
      url: form.get("Url") ?? undefined,
      statusCallback: form.get("StatusCallback") ?? undefined,
      machineDetection,
      ...(machineDetection && outcome === "completed"
        ? { answeredBy: answererOf(to, machineDetection) }
        : {}),
    };
    calls.push(call);
    bySid.set(call.sid, call);
    creates.emit({ ...received, stage: "created", call });
    const inBackground = (task: Promise<void>) => {
      const running = task.finally(() => deliveries.delete(running));
      deliveries.add(running);
    };
    if (call.statusCallback && options.callbacks !== false) {
      inBackground(deliverCallbacks(call, form.getAll("StatusCallbackEvent")));
    }
    if (outcome === "completed") inBackground(answer(call));
    if (createFault === "drop-after") return droppedResponse();
    if (createFault === "hang-after") {
      await state.hang();
      return new Response(null, { status: 504 });
    }
    return (await state.afterWork(c)) ?? c.json(resource(call), 201);
  });

  app.get(`${base}/Calls.json`, async (c) => {
    if (otherAccount(c)) return notFound(c);
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const query = new URL(c.req.url).searchParams;
    const pageSize = Math.min(1000, Number(query.get("PageSize") ?? 50) || 50);
    const page = Number(query.get("Page") ?? 0) || 0;
    const after = Date.parse(query.get("StartTime>") ?? "") || -Infinity;
    const matching = calls.filter((call) =>
      (!query.get("To") || call.to === query.get("To")) &&
      (!query.get("From") || call.from === query.get("From")) &&
      (!query.get("Status") || statusOf(call).status === query.get("Status")) &&
      call.createdAt >= after && call.createdAt + listLagMs <= clock.now()
    ).reverse(); // newest first
    const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
    const next = new URLSearchParams(query);
    next.set("Page", String(page + 1));
    next.set("PageToken", `PA${slice.at(-1)?.sid ?? ""}`);
    const path = new URL(c.req.url).pathname;
    return c.json({
      calls: slice.map(resource),
      page,
      page_size: pageSize,
      start: page * pageSize,
      end: page * pageSize + slice.length - 1,
      uri: `${path}?${query}`,
      first_page_uri: `${path}?${new URLSearchParams({ ...Object.fromEntries(query), Page: "0" })}`,
      next_page_uri: (page + 1) * pageSize < matching.length ? `${path}?${next}` : null,
      previous_page_uri: null,
    });
  });

  app.get(`${base}/Calls/:file`, async (c) => {
    if (otherAccount(c)) return notFound(c);
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const call = bySid.get(c.req.param("file").replace(/\.json$/, ""));
    if (!call) return notFound(c);
    return c.json(resource(call));
  });

  // An update to a live call: `Status=canceled` ends one not yet answered (queued or ringing),
  // `Status=completed` hangs up one in progress; anything else is left as it is.
  app.post(`${base}/Calls/:file`, async (c) => {
    if (otherAccount(c)) return notFound(c);
    const form = new URLSearchParams(await c.req.text());
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const call = bySid.get(c.req.param("file").replace(/\.json$/, ""));
    if (!call) return notFound(c);
    const now = statusOf(call).status;
    const wanted = form.get("Status");
    if (
      (wanted === "canceled" && (now === "queued" || now === "ringing")) ||
      (wanted === "completed" && now === "in-progress")
    ) {
      end(call, wanted);
    }
    return c.json(resource(call));
  });

  /** Ends `call` now, as canceled (never answered) or completed (hung up). */
  function end(call: FakeCall, status: "canceled" | "completed"): void {
    call.endedBy = { status, at: clock.now() };
    ending.get(call.sid)?.abort();
  }

  /** Aborted when a call ends before its time (canceled, hung up): its callbacks go at once. */
  const ending = new Map<string, AbortController>();

  /** The call's status now: it advances with the clock from when it rings. */
  function statusOf(call: FakeCall): { status: string; duration?: number; answeredBy?: string } {
    const now = clock.now();
    if (call.outcome === "failed") return { status: "failed", duration: 0 };
    const answeredAt = call.ringAt + ringMs;
    if (call.endedBy && now >= call.endedBy.at) {
      if (call.endedBy.status === "canceled") return { status: "canceled", duration: 0 };
      const talked = Math.max(0, call.endedBy.at - answeredAt);
      return {
        status: "completed",
        duration: Math.round(talked / 1000),
        answeredBy: call.answeredBy,
      };
    }
    if (now < call.ringAt) return { status: "queued" };
    const elapsed = now - call.ringAt;
    if (elapsed < ringMs) return { status: elapsed < ringMs / 2 ? "queued" : "ringing" };
    if (call.outcome !== "completed") return { status: call.outcome, duration: 0 };
    const answeredBy = call.answeredBy;
    if (elapsed < ringMs + talkMs) return { status: "in-progress", answeredBy };
    const duration = options.durationS ?? Math.max(1, Math.round(talkMs / 1000));
    return { status: "completed", duration, answeredBy };
  }

  /** The call's `price` as Twilio writes it (a negative decimal string), or null. */
  function priceOf(now: { status: string; duration?: number }): string | null {
    if (!(options.priced?.() ?? true)) return null;
    if (now.status === "completed" && options.pricePerMinute !== undefined) {
      return `-${(Math.ceil((now.duration ?? 0) / 60) * options.pricePerMinute).toFixed(5)}`;
    }
    const unanswered = now.status === "busy" || now.status === "no-answer" ||
      now.status === "failed";
    return unanswered && options.pricePerAttempt !== undefined
      ? `-${options.pricePerAttempt.toFixed(5)}`
      : null;
  }

  function resource(call: FakeCall) {
    const now = statusOf(call);
    return {
      sid: call.sid,
      account_sid: options.accountSid,
      to: call.to,
      from: call.from,
      status: now.status,
      direction: "outbound-api",
      date_created: new Date(call.createdAt).toUTCString().replace("GMT", "+0000"),
      date_updated: new Date(clock.now()).toUTCString().replace("GMT", "+0000"),
      start_time: null,
      end_time: null,
      duration: now.duration === undefined ? null : String(now.duration),
      answered_by: now.answeredBy ?? null,
      price: priceOf(now),
      price_unit: "USD",
      queue_time: String(call.queueMs),
      api_version: "2010-04-01",
      uri: `/2010-04-01/Accounts/${options.accountSid}/Calls/${call.sid}.json`,
    };
  }

  /** A form POST signed as Twilio signs its requests; resolves with the answer's status and
   * text (0 and empty when it could not be sent). */
  async function postSigned(
    url: string,
    params: Record<string, string>,
  ): Promise<{ status: number; text: string }> {
    try {
      const response = await (options.fetch ?? fetch)(url, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-twilio-signature": twilioSignature(options.authToken, url, Object.entries(params)),
        },
        body: new URLSearchParams(params),
        signal: background.signal,
      });
      return { status: response.status, text: await response.text() };
    } catch {
      return { status: 0, text: "" };
    }
  }

  /** What every request about `call` carries. */
  function callParams(call: FakeCall): Record<string, string> {
    return {
      AccountSid: options.accountSid,
      ApiVersion: "2010-04-01",
      CallSid: call.sid,
      Direction: "outbound-api",
      From: call.from,
      To: call.to,
    };
  }

  /**
   * When the call is answered, runs its TwiML as Twilio does: fetched from its `Url` (with who
   * answered) or inline; `<Hangup/>` before anything is said ends it at once; a `<Play>` URL is
   * fetched; a `<Gather>` hears the digits the person presses and posts them to its action.
   */
  async function answer(call: FakeCall): Promise<void> {
    try {
      await clock.sleep(call.ringAt + ringMs - clock.now(), background.signal);
    } catch {
      return;
    }
    if (call.endedBy) return;
    let twiml = call.twiml ?? "";
    if (call.url) {
      const params: Record<string, string> = { ...callParams(call), CallStatus: "in-progress" };
      if (call.answeredBy) params.AnsweredBy = call.answeredBy;
      const served = await postSigned(call.url, params);
      twiml = served.status === 200 ? served.text : "";
      call.served = { status: served.status, twiml, answeredBy: call.answeredBy };
    }
    const said = twiml.search(/<(Say|Play)\b/);
    const hangup = twiml.search(/<Hangup\s*\/>/);
    if (hangup >= 0 && (said < 0 || hangup < said)) return end(call, "completed");
    const play = /<Play>([^<]+)<\/Play>/.exec(twiml)?.[1];
    if (play) await fetchPlay(call, unescapeXml(play));
    const action = /<Gather\b[^>]*\baction="([^"]+)"/.exec(twiml)?.[1];
    const digits = options.presses?.(call.to);
    if (action && digits) {
      const gathered = await postSigned(unescapeXml(action), {
        ...callParams(call),
        CallStatus: "in-progress",
        Digits: digits,
      });
      call.gathered = { digits, status: gathered.status, twiml: gathered.text };
      if (/<Hangup\s*\/>/.test(gathered.text)) end(call, "completed");
    }
  }

  /** Fetches the audio the TwiML plays, as Twilio does. */
  async function fetchPlay(call: FakeCall, url: string): Promise<void> {
    try {
      const response = await (options.fetch ?? fetch)(url, { signal: background.signal });
      const bytes = (await response.arrayBuffer()).byteLength;
      call.played = { status: response.status, bytes };
    } catch {
      call.played ??= { status: 0, bytes: 0 };
    }
  }

  /** Posts the call's status changes to its StatusCallback, signed as Twilio signs them; a call
   * ended early (canceled, hung up) posts its end at once. */
  async function deliverCallbacks(call: FakeCall, events: string[]): Promise<void> {
    const wanted = new Set(events.length > 0 ? events : ["completed"]);
    const schedule: [number, string][] = [];
    if (wanted.has("ringing")) schedule.push([ringMs / 2, "ringing"]);
    if (call.outcome === "completed" && wanted.has("answered")) {
      schedule.push([ringMs, "in-progress"]);
    }
    schedule.push([call.outcome === "completed" ? ringMs + talkMs : ringMs, "final"]);
    const ended = new AbortController();
    ending.set(call.sid, ended);
    const signal = AbortSignal.any([background.signal, ended.signal]);
    let sequence = 0;
    try {
      for (const [at, event] of schedule) {
        let final = event === "final";
        try {
          await clock.sleep(call.ringAt + at - clock.now(), signal);
        } catch {
          if (background.signal.aborted) return;
          final = true; // ended early: its end goes now
        }
        const now = statusOf(call);
        const params: Record<string, string> = {
          ...callParams(call),
          CallStatus: final ? now.status : event,
          SequenceNumber: String(sequence++),
          Timestamp: new Date(clock.now()).toUTCString(),
        };
        if (final) params.CallDuration = String(now.duration ?? 0);
        if (now.answeredBy) params.AnsweredBy = now.answeredBy;
        const url = call.statusCallback!;
        const { status } = await postSigned(url, params);
        callbacks.push({ url, params, status });
        if (final) return;
      }
    } finally {
      ending.delete(call.sid);
    }
  }

  return server;
}

function unescapeXml(text: string): string {
  return text.replace(
    /&(lt|gt|amp|quot|apos);/g,
    (_, name: string) => ({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" })[name]!,
  );
}
