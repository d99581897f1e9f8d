/**
 * What the status server answers the telephony provider: status callbacks, each checked
 * against `X-Twilio-Signature` (an unsigned or wrongly signed one gets 403 and changes
 * nothing), and audio files behind signed, expiring links.
 */
import assert from "node:assert/strict";
import { testAgent } from "../_support/agent.ts";
import { createStatusApp } from "../../src/server/mod.ts";
import { twilioSignature } from "../../src/services/mod.ts";

const token = "twilio-auth-token";
const publicBaseUrl = "https://agent.example.com/calls";
const audio = new TextEncoder().encode("ID3 fake mp3 bytes");

function setUp() {
  const t = testAgent({}, {
    services: { telephony: { publicBaseUrl, audioUrlTtlMs: 60_000 } },
  });
  const opened: string[] = [];
  const status = createStatusApp({
    agent: t.agent,
    clock: t.clock,
    version: "1",
    twilioAuthToken: token,
    openAudio: (name) => {
      opened.push(name);
      if (name !== "abc123.mp3") return Promise.reject(new Deno.errors.NotFound(name));
      return Promise.resolve(new Blob([audio]).stream());
    },
  });
  return { t, status, opened };
}

const params = {
  CallSid: "CA0123456789abcdef0123456789abcdef",
  CallStatus: "completed",
  CallDuration: "42",
  AnsweredBy: "human",
  AccountSid: "AC0",
};
const query = "?contact=c1&dial=marker-1";

/** POSTs a callback to the app as the proxy hands it over (the local path and query). */
function callback(
  app: ReturnType<typeof setUp>["status"],
  form: Record<string, string>,
  signature: string | undefined,
  pathAndQuery = `/twilio/status${query}`,
) {
  return app.fetch(
    new Request(`http://127.0.0.1${pathAndQuery}`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(signature === undefined ? {} : { "x-twilio-signature": signature }),
      },
      body: new URLSearchParams(form),
    }),
  );
}

const signed = (url: string, form: Record<string, string>, key = token) =>
  twilioSignature(key, url, Object.entries(form));

Deno.test("a callback signed by Twilio for this URL is taken: the follower learns the call's end", async () => {
  const { t, status } = setUp();
  await using _ = t.agent;
  using _app = status;
  const response = await callback(
    status,
    params,
    signed(`${publicBaseUrl}/twilio/status${query}`, params),
  );
  assert.equal(response.status, 204);
  assert.deepEqual(t.agent.calls.latest(params.CallSid), {
    sid: params.CallSid,
    status: "completed",
    durationS: 42,
    answeredBy: "human",
  });
  assert.equal(t.agent.calls.sidOf("marker-1"), params.CallSid);
});

for (
  const [what, send] of [
    ["unsigned", (app: ReturnType<typeof setUp>["status"]) => callback(app, params, undefined)],
    [
      "with a tampered parameter",
      (app: ReturnType<typeof setUp>["status"]) =>
        callback(
          app,
          { ...params, CallStatus: "busy" },
          signed(`${publicBaseUrl}/twilio/status${query}`, params),
        ),
    ],
    [
      "signed with another token",
      (app: ReturnType<typeof setUp>["status"]) =>
        callback(
          app,
          params,
          signed(`${publicBaseUrl}/twilio/status${query}`, params, "someone-elses-token"),
        ),
    ],
    [
      "replayed to another URL (another dial's marker)",
      (app: ReturnType<typeof setUp>["status"]) =>
        callback(
          app,
          params,
          signed(`${publicBaseUrl}/twilio/status${query}`, params),
          "/twilio/status?contact=c2&dial=marker-2",
        ),
    ],
  ] as const
) {
  Deno.test(`a callback ${what} gets 403 and changes nothing`, async () => {
    const { t, status } = setUp();
    await using _ = t.agent;
    using _app = status;
    const response = await send(status);
    assert.equal(response.status, 403);
    assert.match(await response.text(), /X-Twilio-Signature/);
    assert.equal(t.agent.calls.latest(params.CallSid), undefined);
    assert.equal(t.agent.calls.sidOf("marker-1"), undefined);
    assert.equal(t.agent.calls.sidOf("marker-2"), undefined);
  });
}

Deno.test("audio is served only from a link this agent signed, until it expires", async () => {
  const { t, status, opened } = setUp();
  await using _ = t.agent;
  using _app = status;
  const link = t.agent.callLinks!.audio("audio/abc123.mp3");
  assert.match(link, /^https:\/\/agent\.example\.com\/calls\/audio\/abc123\.mp3\?exp=\d+&sig=/);
  const local = (url: string) => `http://127.0.0.1${url.slice(publicBaseUrl.length)}`;
  const ok = await status.fetch(new Request(local(link)));
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("content-type"), "audio/mpeg");
  assert.deepEqual(new Uint8Array(await ok.arrayBuffer()), audio);

  const tampered = link.replace(/sig=.(.*)$/, "sig=A$1");
  assert.equal((await status.fetch(new Request(local(tampered)))).status, 403);
  const otherFile = link.replace("abc123.mp3", "abc124.mp3");
  assert.equal((await status.fetch(new Request(local(otherFile)))).status, 403);
  const noSignature = link.replace(/\?.*$/, "");
  assert.equal((await status.fetch(new Request(local(noSignature)))).status, 403);
  const outside = `http://127.0.0.1/audio/..%2Fdata%2Fledger.db?exp=9999999999&sig=x`;
  assert.equal((await status.fetch(new Request(outside))).status, 404);

  await t.clock.run(() => t.clock.sleep(61_000));
  assert.equal((await status.fetch(new Request(local(link)))).status, 403, "expired");
  assert.deepEqual(opened, ["abc123.mp3"], "no file was opened for a refused link");
});

Deno.test("a call's instructions and its opt-out key are answered only when Twilio signed them; an unknown call is hung up on, not told an error", async () => {
  const { t, status } = setUp();
  await using _ = t.agent;
  using _app = status;
  const form = { CallSid: params.CallSid, AnsweredBy: "machine_end_beep", AccountSid: "AC0" };
  const twimlPath = `/twilio/twiml${query}`;
  assert.equal((await callback(status, form, undefined, twimlPath)).status, 403);
  assert.equal((await callback(status, form, "wrong", twimlPath)).status, 403);
  const unknown = await callback(
    status,
    form,
    signed(`${publicBaseUrl}${twimlPath}`, form),
    twimlPath,
  );
  assert.equal(unknown.status, 200);
  assert.equal(await unknown.text(), "<Response><Hangup/></Response>");
  const gatherPath = `/twilio/gather${query}`;
  const digits = { ...form, Digits: "9" };
  assert.equal((await callback(status, digits, undefined, gatherPath)).status, 403);
  assert.equal(
    await t.agent.store.doNotCall.count(t.agent.config.campaign.name),
    0,
    "an unsigned key press lists nothing",
  );
});
