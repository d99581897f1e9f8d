/**
 * The untraced fetch against real sockets: a Deno server for what a well-behaved provider does
 * (JSON, chunked bodies, redirects), and a raw TCP server that answers with exactly the bytes a
 * test scripts, for what a hostile one does (drops mid-body, hangs, 100 Continue, no length).
 */
import assert from "node:assert/strict";
import { createUntracedFetch } from "../../src/platform/mod.ts";
import { nameUnless } from "../_support/skip.ts";

const untracedFetch = createUntracedFetch();

/** A raw server: reads one request's head (and a body of its Content-Length), then runs
 * `answer` on the connection. */
function startRawServer(answer: (conn: Deno.Conn, request: string) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const tasks = new Set<Promise<void>>();
  const conns = new Set<Deno.Conn>();
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const task = (async () => {
        const buffer = new Uint8Array(65_536);
        let text = "";
        try {
          while (!/\r\n\r\n/.test(text) || bodyMissing(text)) {
            const n = await conn.read(buffer);
            if (n === null) return;
            text += new TextDecoder().decode(buffer.subarray(0, n));
          }
          requests.push(text);
          await answer(conn, text);
        } catch {
          // the client went away
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch { /* closed */ }
        }
      })();
      tasks.add(task);
      task.finally(() => tasks.delete(task));
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await accepting.catch(() => {});
      await Promise.all(tasks);
    },
  };
}

function bodyMissing(text: string): boolean {
  const [head, body] = text.split("\r\n\r\n");
  const length = /content-length: (\d+)/i.exec(head);
  return length !== null && new TextEncoder().encode(body).length < Number(length[1]);
}

const write = (conn: Deno.Conn, text: string) => conn.write(new TextEncoder().encode(text));

Deno.test("untraced fetch: a JSON POST arrives whole and its answer is read", async () => {
  const seen: { method: string; path: string; type: string | null; body: string }[] = [];
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (r) => {
    const url = new URL(r.url);
    seen.push({
      method: r.method,
      path: url.pathname + url.search,
      type: r.headers.get("content-type"),
      body: await r.text(),
    });
    return Response.json({ ok: true, émoji: "☎" }, { status: 201, headers: { "x-id": "7" } });
  });
  const response = await untracedFetch(
    `http://127.0.0.1:${server.addr.port}/bot1:secret/sendMessage?x=1`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "ünïcode" }),
    },
  );
  assert.equal(response.status, 201);
  assert.equal(response.headers.get("x-id"), "7");
  assert.deepEqual(await response.json(), { ok: true, émoji: "☎" });
  assert.deepEqual(seen, [{
    method: "POST",
    path: "/bot1:secret/sendMessage?x=1",
    type: "application/json",
    body: '{"text":"ünïcode"}',
  }]);
});

Deno.test("untraced fetch: a chunked body is put back together", async () => {
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    const parts = ["first ", "second ", "third"];
    return new Response(
      new ReadableStream({
        pull(controller) {
          const next = parts.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      }),
    );
  });
  const response = await untracedFetch(`http://127.0.0.1:${server.addr.port}/`);
  assert.equal(await response.text(), "first second third");
});

Deno.test("untraced fetch: a redirect is returned, never followed", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(null, { status: 302, headers: { location: "https://elsewhere.example/" } }),
  );
  const response = await untracedFetch(`http://127.0.0.1:${server.addr.port}/`);
  assert.equal(response.status, 302);
  assert.equal(response.headers.get("location"), "https://elsewhere.example/");
});

Deno.test("untraced fetch: a connection dropped mid-body is an error, never a short body", async () => {
  await using raw = startRawServer(async (conn) => {
    await write(conn, "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789");
  });
  await assert.rejects(untracedFetch(raw.url), /closed mid-body/);
  await using chunked = startRawServer(async (conn) => {
    await write(conn, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");
  });
  await assert.rejects(untracedFetch(chunked.url), /closed mid-answer/);
  await using headless = startRawServer(async (conn) => {
    await write(conn, "HTTP/1.1 200 OK\r\ncontent-");
  });
  await assert.rejects(untracedFetch(headless.url), /closed mid-answer/);
});

Deno.test("untraced fetch: garbage instead of HTTP is an error", async () => {
  await using raw = startRawServer(async (conn) => {
    await write(conn, "SSH-2.0-OpenSSH\r\n\r\n");
  });
  await assert.rejects(untracedFetch(raw.url), /not HTTP/);
});

Deno.test("untraced fetch: 100 Continue is skipped, and a body without a length runs to the close", async () => {
  await using raw = startRawServer(async (conn) => {
    await write(conn, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nx-a: 1\r\n\r\nto the end");
  });
  const response = await untracedFetch(raw.url, { method: "POST", body: "a=1" });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "to the end");
  assert.match(raw.requests[0], /^POST \/ HTTP\/1\.1\r\n/);
  assert.match(raw.requests[0], /content-length: 3\r\n/);
  assert.match(raw.requests[0], /connection: close\r\n/);
});

Deno.test("untraced fetch: a hanging answer ends when the signal aborts, with its reason", async () => {
  const { promise: reached, resolve } = Promise.withResolvers<void>();
  await using raw = startRawServer(async (conn) => {
    resolve();
    await conn.read(new Uint8Array(1)); // until the client closes
  });
  const controller = new AbortController();
  const pending = untracedFetch(raw.url, { signal: controller.signal });
  await reached;
  controller.abort(new Error("attempt deadline"));
  await assert.rejects(pending, /attempt deadline/);
});

Deno.test("untraced fetch: refuses other schemes and bodies it cannot send", async () => {
  await assert.rejects(untracedFetch("file:///etc/passwd"), /only http: and https:/);
  await assert.rejects(
    untracedFetch("http://127.0.0.1:1/", { method: "POST", body: new Blob(["x"]) }),
    /body must be/,
  );
});

Deno.test("untraced fetch: an answer in pieces, split inside its head and its body, is read whole", async () => {
  await using raw = startRawServer(async (conn) => {
    for (const piece of ["HTTP/1.1 200 OK\r\ncont", "ent-length: 5\r", "\n\r\nhel", "lo"]) {
      await write(conn, piece);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  assert.equal(await (await untracedFetch(raw.url)).text(), "hello");
});

Deno.test("untraced fetch: a 3 MB body, with a length or chunked, arrives byte for byte", async () => {
  const body = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) % 251);
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) =>
      new URL(r.url).pathname === "/chunked"
        ? new Response(new Blob([body]).stream())
        : new Response(body),
  );
  for (const path of ["/", "/chunked"]) {
    const got = new Uint8Array(
      await (await untracedFetch(`http://127.0.0.1:${server.addr.port}${path}`)).arrayBuffer(),
    );
    assert.equal(got.length, body.length, path);
    assert.ok(got.every((byte, i) => byte === body[i]), `${path}: the same bytes`);
  }
});

/** A certificate for 127.0.0.1 and the test CA that signed it, made by openssl; undefined when
 * openssl is missing. */
async function testCertificate(): Promise<{ ca: string; cert: string; key: string } | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "untraced-tls-" });
  const openssl = async (...args: string[]) =>
    (await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "null" })
      .output()).success;
  try {
    await Deno.writeTextFile(
      `${dir}/leaf.ext`,
      "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    );
    const made = await openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=test-ca",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    ) && await openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      "key.pem",
      "-out",
      "leaf.csr",
    ) && await openssl(
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "leaf.ext",
      "-out",
      "cert.pem",
    );
    if (!made) return undefined;
    const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
    return { ca: await read("ca.pem"), cert: await read("cert.pem"), key: await read("key.pem") };
  } catch {
    return undefined;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const tls = await testCertificate();

Deno.test({
  name: nameUnless(
    "untraced fetch: https goes over TLS, and a certificate it does not trust is refused",
    tls ? undefined : "openssl is missing",
  ),
  ignore: !tls,
  fn: async () => {
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, cert: tls!.cert, key: tls!.key, onListen() {} },
      async (r) => Response.json({ got: await r.text() }),
    );
    const url = `https://127.0.0.1:${server.addr.port}/bot1:token/sendMessage`;
    const trusting = createUntracedFetch({ caCerts: [tls!.ca] });
    const response = await trusting(url, { method: "POST", body: "hi" });
    assert.deepEqual(await response.json(), { got: "hi" });
    await assert.rejects(untracedFetch(url, { method: "POST", body: "hi" }), TypeError);
  },
});
