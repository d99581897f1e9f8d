import { type Context, Hono } from "hono";
import { type CallState, isCallStatus, isSignedByTwilio } from "../services/mod.ts";
import {
  audioPath,
  type CallLinks,
  type CallUpdates,
  instructionsPath,
  optOutPath,
  statusCallbackPath,
} from "../telephony/mod.ts";
import { type BodyVariables, boundedBody } from "./_bounded_body.ts";

/** What the telephony routes need. */
export interface TelephonyRouteDeps {
  /** The public links the agent hands the provider; unset: both routes are off. */
  callLinks?: CallLinks;
  /** Where pushed call statuses go. */
  calls: Pick<CallUpdates, "publish">;
  /** Checks `X-Twilio-Signature` on status callbacks; unset: the callback route is off. */
  twilioAuthToken?: string;
  /** Opens an audio file by name (from the TTS audio folder); unset: no audio served. */
  openAudio?: (name: string) => Promise<ReadableStream<Uint8Array>>;
  /** A live call's instructions once answered, and what a key pressed does; unset: both
   * routes are off. */
  instructions?: {
    answered(contactId: string, marker: string, answeredBy?: string): Promise<string | undefined>;
    pressed(
      contactId: string,
      marker: string,
      digits: string,
      sid?: string,
    ): Promise<string | undefined>;
  };
}

const audioTypes: Record<string, string> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  raw: "application/octet-stream",
};

/**
 * What the telephony provider calls, each signed by Twilio: `POST /twilio/status` (status
 * callbacks), `POST /twilio/twiml` (a call's instructions once answered, given who answered) and
 * `POST /twilio/gather` (the key pressed); and `GET /audio/:name` (audio links signed by us). All
 * answer only when the agent hands out public links.
 */
export function telephonyRoutes(deps: TelephonyRouteDeps): Hono<BodyVariables> {
  const app = new Hono<BodyVariables>();
  for (const path of [statusCallbackPath, instructionsPath, optOutPath]) {
    app.use(`${path}*`, boundedBody(16 * 1024));
  }
  /** The request's form when Twilio signed it; else the answer that refuses it. */
  const signedForm = (c: Context<BodyVariables>): URLSearchParams | Response => {
    const links = deps.callLinks;
    if (!links || !deps.twilioAuthToken) {
      return c.json({ error: "off: no publicBaseUrl or Twilio" }, 404);
    }
    const url = new URL(c.req.url);
    const params = new URLSearchParams(new TextDecoder().decode(c.get("body")));
    const signed = isSignedByTwilio(
      deps.twilioAuthToken,
      links.publicUrlOf(url.pathname + url.search),
      params,
      c.req.header("x-twilio-signature"),
    );
    return signed ? params : c.json({ error: "missing or wrong X-Twilio-Signature" }, 403);
  };
  /** TwiML for a live call. A call whose contact is not known (it cannot be, signed by Twilio,
   * unless the ledger lost it) is hung up on: an error answer would have Twilio tell the person
   * called that an application error occurred. */
  const twiml = (c: Context<BodyVariables>, body: string | undefined) =>
    c.body(body ?? "<Response><Hangup/></Response>", 200, { "content-type": "text/xml" });
  app.post(instructionsPath, async (c) => {
    const params = signedForm(c);
    if (params instanceof Response) return params;
    if (!deps.instructions) return c.json({ error: "off" }, 404);
    const { contact, dial } = c.req.query();
    return twiml(
      c,
      await deps.instructions.answered(
        contact ?? "",
        dial ?? "",
        params.get("AnsweredBy") || undefined,
      ),
    );
  });
  app.post(optOutPath, async (c) => {
    const params = signedForm(c);
    if (params instanceof Response) return params;
    if (!deps.instructions) return c.json({ error: "off" }, 404);
    const { contact, dial } = c.req.query();
    return twiml(
      c,
      await deps.instructions.pressed(
        contact ?? "",
        dial ?? "",
        params.get("Digits") ?? "",
        params.get("CallSid") || undefined,
      ),
    );
  });
  app.post(statusCallbackPath, (c) => {
    const params = signedForm(c);
    if (params instanceof Response) return params;
    const url = new URL(c.req.url);
    const sid = params.get("CallSid") ?? "";
    const status = params.get("CallStatus") ?? "";
    if (!/^CA\w{1,64}$/.test(sid) || !isCallStatus(status)) {
      return c.json({ error: "CallSid and a known CallStatus are required" }, 400);
    }
    const state: CallState = { sid, status };
    const duration = Number(params.get("CallDuration") ?? "");
    if (params.has("CallDuration") && Number.isFinite(duration)) state.durationS = duration;
    const answeredBy = params.get("AnsweredBy");
    if (answeredBy) state.answeredBy = answeredBy;
    deps.calls.publish(state, url.searchParams.get("dial") ?? undefined);
    return c.body(null, 204);
  });
  app.get(`${audioPath}:name`, async (c) => {
    const links = deps.callLinks;
    const name = c.req.param("name");
    if (!links || !deps.openAudio) return c.json({ error: "audio links are off" }, 404);
    if (!/^[\w.-]{1,200}$/.test(name) || name.startsWith(".")) {
      return c.json({ error: "not found" }, 404);
    }
    if (!links.verifyAudio(name, c.req.query("exp"), c.req.query("sig"))) {
      return c.json({ error: "link expired or not signed by this agent" }, 403);
    }
    try {
      const body = await deps.openAudio(name);
      const type = audioTypes[name.split(".").at(-1) ?? ""] ?? "application/octet-stream";
      return c.body(body, 200, { "content-type": type, "cache-control": "private, no-store" });
    } catch {
      return c.json({ error: "not found" }, 404);
    }
  });
  return app;
}
