/**
 * A `fetch` that no trace sees: HTTP/1.1 over a socket of its own, one connection per request.
 *
 * With `OTEL_DENO=true`, Deno's own `fetch` exports a span for every request with its whole
 * URL (`url.full`, `url.path`, `url.query`). Some URLs carry what must never leave the
 * process: Telegram's bot token is in its path, and looking a lost call up at Twilio puts the
 * contact's phone number in the query. Those requests go out through this client, which Deno
 * does not instrument, and the agent's attempt span (which names no URL) stands for them.
 *
 * What it does: `http:` and `https:` URLs, a string, bytes or form body, the response read
 * whole (up to {@link maxBodyBytes}) with `Content-Length`, chunked or close-delimited bodies,
 * informational (1xx) answers skipped, redirects returned as they are, the signal closing the
 * connection at once. A connection that ends before the body it announced is an error, never a
 * short body.
 */
export function createUntracedFetch(options: {
  /** Certificates to trust besides the system's (a test's own). */
  caCerts?: string[];
} = {}): typeof fetch {
  return ((input: string | URL, init?: RequestInit) =>
    untracedFetch(input, init, options.caCerts)) as typeof fetch;
}

/** Largest response body read. */
const maxBodyBytes = 16 * 1024 * 1024;
/** Largest status line and headers. */
const maxHeadBytes = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function untracedFetch(
  input: string | URL,
  init: RequestInit = {},
  caCerts?: string[],
): Promise<Response> {
  const url = new URL(input);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`untraced fetch: only http: and https: URLs: got ${url.protocol}`);
  }
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const method = (init.method ?? "GET").toUpperCase();
  const body = bodyBytes(init.body);
  const headers = new Headers(init.headers);
  if (body && init.body instanceof URLSearchParams && !headers.has("content-type")) {
    headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
  }
  headers.set("host", url.host);
  headers.set("connection", "close");
  if (body || method === "POST" || method === "PUT" || method === "PATCH") {
    headers.set("content-length", String(body?.byteLength ?? 0));
  }
  if (!headers.has("accept")) headers.set("accept", "*/*");
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const conn = await connect(url.protocol === "https:", { hostname, port, caCerts }, signal);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed by the peer */ }
  };
  const onAbort = () => close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
    headers.forEach((value, name) => (head += `${name}: ${value}\r\n`));
    await writeAll(conn, encoder.encode(head + "\r\n"));
    if (body) await writeAll(conn, body);
    const reader = new ConnReader(conn);
    for (;;) {
      const response = await readResponse(reader, method);
      if (response) return response;
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error instanceof TypeError ? error : new TypeError(
      `untraced fetch: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  } finally {
    signal?.removeEventListener("abort", onAbort);
    close();
  }
}

/** Connects; an abort while connecting rejects at once (a connection made after it is closed). */
function connect(
  tls: boolean,
  to: { hostname: string; port: number; caCerts?: string[] },
  signal: AbortSignal | undefined,
): Promise<Deno.Conn> {
  const connecting = tls
    ? Deno.connectTls(to)
    : Deno.connect({ hostname: to.hostname, port: to.port });
  if (!signal) return connecting;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    connecting.then((conn) => {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) conn.close();
      else resolve(conn);
    }, (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

function bodyBytes(body: BodyInit | null | undefined): Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return encoder.encode(body);
  if (body instanceof URLSearchParams) return encoder.encode(body.toString());
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError("untraced fetch: the body must be a string, bytes or URLSearchParams");
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

/** One response; `undefined` for an informational (1xx) one, after which another follows. */
async function readResponse(reader: ConnReader, method: string): Promise<Response | undefined> {
  const head = decoder.decode(await reader.until("\r\n\r\n", maxHeadBytes));
  const [statusLine, ...lines] = head.split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!status) throw new TypeError("untraced fetch: the answer is not HTTP/1.x");
  const code = Number(status[1]);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new TypeError("untraced fetch: a malformed header line");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  if (code < 200) return undefined;
  const bodiless = method === "HEAD" || code === 204 || code === 304;
  let body: Uint8Array<ArrayBuffer> | null = null;
  if (!bodiless) {
    const length = headers.get("content-length");
    if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) body = await readChunked(reader);
    else if (length !== null) {
      const bytes = Number(length);
      if (!Number.isSafeInteger(bytes) || bytes < 0) {
        throw new TypeError("untraced fetch: a malformed Content-Length");
      }
      if (bytes > maxBodyBytes) throw new TypeError("untraced fetch: the body is too large");
      body = await reader.exactly(bytes);
    } else body = await reader.rest(maxBodyBytes);
  }
  return new Response(body, { status: code, statusText: status[2] ?? "", headers });
}

async function readChunked(reader: ConnReader): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const sizeLine = decoder.decode(await reader.until("\r\n", 1024));
    const size = parseInt(sizeLine.split(";")[0].trim(), 16);
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new TypeError("untraced fetch: a malformed chunk size");
    }
    if (size === 0) {
      // Trailers, if any, end with an empty line.
      while ((await reader.until("\r\n", maxHeadBytes)).length > 0);
      return concat(chunks, total);
    }
    total += size;
    if (total > maxBodyBytes) throw new TypeError("untraced fetch: the body is too large");
    chunks.push(await reader.exactly(size));
    const lineEnd = await reader.exactly(2);
    if (lineEnd[0] !== 13 || lineEnd[1] !== 10) {
      throw new TypeError("untraced fetch: a chunk without its line end");
    }
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) out.set(chunk, (at += chunk.length) - chunk.length);
  return out;
}

/** Buffered reads from a connection; the end of the stream before what was asked for is an
 * error. The unread bytes are `#data[#start, #end)`; the buffer doubles when it must grow, so a
 * large body costs a few copies, not one per read. */
class ConnReader {
  #data = new Uint8Array(16 * 1024);
  #start = 0;
  #end = 0;
  #ended = false;
  readonly #conn: Deno.Conn;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The bytes before `delimiter` (which is consumed). */
  async until(delimiter: string, limit: number): Promise<Uint8Array<ArrayBuffer>> {
    const needle = encoder.encode(delimiter);
    let from = this.#start;
    for (;;) {
      const at = indexOf(this.#data.subarray(0, this.#end), needle, from);
      if (at >= 0) {
        const found = this.#data.slice(this.#start, at);
        this.#start = at + needle.length;
        return found;
      }
      if (this.#end - this.#start > limit) {
        throw new TypeError("untraced fetch: a line too long");
      }
      from = Math.max(this.#start, this.#end - needle.length + 1);
      const shift = this.#start;
      if (!(await this.#fill())) {
        throw new TypeError("untraced fetch: the connection closed mid-answer");
      }
      from -= shift - this.#start; // the unread bytes may have moved to the front
    }
  }

  async exactly(bytes: number): Promise<Uint8Array<ArrayBuffer>> {
    while (this.#end - this.#start < bytes) {
      if (!(await this.#fill())) {
        throw new TypeError("untraced fetch: the connection closed mid-body");
      }
    }
    const out = this.#data.slice(this.#start, this.#start + bytes);
    this.#start += bytes;
    return out;
  }

  /** Everything up to the end of the stream. */
  async rest(limit: number): Promise<Uint8Array<ArrayBuffer>> {
    while (await this.#fill()) {
      if (this.#end - this.#start > limit) {
        throw new TypeError("untraced fetch: the body is too large");
      }
    }
    return this.#data.slice(this.#start, this.#end);
  }

  /** Reads more; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    if (this.#start > 0) {
      // Unread bytes to the front, so the room freed by what was read is used again.
      this.#data.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#data.length) {
      const grown = new Uint8Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    const read = await this.#conn.read(this.#data.subarray(this.#end));
    if (read === null) {
      this.#ended = true;
      return false;
    }
    this.#end += read;
    return true;
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
