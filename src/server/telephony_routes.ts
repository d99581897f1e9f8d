import { Hono } from "hono";
import { type CallState, isCallStatus, isSignedByTwilio } from "../services/mod.ts";
import {
  audioPath,
  type CallLinks,
  type CallUpdates,
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
}

const audioTypes: Record<string, string> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  raw: "application/octet-stream",
};

/**
 * What the telephony provider calls: `POST /twilio/status` (status callbacks signed by
 * Twilio) and `GET /audio/:name` (audio links signed by us). Both answer only when the agent
 * hands out public links.
 */
export function telephonyRoutes(deps: TelephonyRouteDeps): Hono<BodyVariables> {
  const app = new Hono<BodyVariables>();
  app.use(`${statusCallbackPath}*`, boundedBody(16 * 1024));
  app.post(statusCallbackPath, (c) => {
    const links = deps.callLinks;
    if (!links || !deps.twilioAuthToken) {
      return c.json({ error: "status callbacks are off (no publicBaseUrl or Twilio)" }, 404);
    }
    const url = new URL(c.req.url);
    const params = new URLSearchParams(new TextDecoder().decode(c.get("body")));
    const signed = isSignedByTwilio(
      deps.twilioAuthToken,
      links.publicUrlOf(url.pathname + url.search),
      params,
      c.req.header("x-twilio-signature"),
    );
    if (!signed) return c.json({ error: "missing or wrong X-Twilio-Signature" }, 403);
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
