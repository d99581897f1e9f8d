/**
 * A TCP proxy in front of PostgreSQL that counts what clients ask of it: every Sync (the end of
 * an extended-protocol query, which the server answers) and every simple Query message is one
 * request the client waits on. Counted from the client's bytes as they pass, not from anything
 * the agent reports.
 */

/** A running proxy: `port` to connect to instead of PostgreSQL's, and the count so far. */
export interface RoundTripProxy extends AsyncDisposable {
  port: number;
  /** Sync and Query messages the clients sent. */
  requests(): number;
}

/** Starts a proxy on 127.0.0.1 that forwards to PostgreSQL on `target`. */
export function countRoundTrips(target: { hostname: string; port: number }): RoundTripProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let requests = 0;
  const connections = new Set<Promise<void>>();
  const open = new Set<Deno.Conn>();
  const accepting = (async () => {
    for await (const client of listener) {
      const piped = pipe(client).catch(() => {}).finally(() => connections.delete(piped));
      connections.add(piped);
    }
  })();

  async function pipe(client: Deno.Conn): Promise<void> {
    const server = await Deno.connect(target);
    open.add(client);
    open.add(server);
    const messages = new ClientMessages(() => requests++);
    const up = (async () => {
      for await (const chunk of client.readable.values({ preventCancel: true })) {
        messages.read(chunk);
        await write(server, chunk);
      }
    })();
    const down = (async () => {
      for await (const chunk of server.readable.values({ preventCancel: true })) {
        await write(client, chunk);
      }
    })();
    await Promise.race([up, down]).catch(() => {});
    for (const conn of [client, server]) {
      open.delete(conn);
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await Promise.allSettled([up, down]);
  }

  return {
    port: (listener.addr as Deno.NetAddr).port,
    requests: () => requests,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await Promise.allSettled([...connections]);
    },
  };
}

async function write(conn: Deno.Conn, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.length) written += await conn.write(chunk.subarray(written));
}

/** The client's side of the protocol: a start-up packet (no type byte; an SSL or GSS request
 * first, maybe), then messages of a type byte and a length. */
class ClientMessages {
  #buffer = new Uint8Array(0);
  #started = false;

  constructor(readonly onRequest: () => void) {}

  read(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    let at = 0;
    const view = new DataView(joined.buffer);
    while (true) {
      if (!this.#started) {
        if (joined.length - at < 8) break;
        const length = view.getUint32(at);
        if (joined.length - at < length) break;
        const code = view.getUint32(at + 4);
        // 80877103: SSLRequest, 80877104: GSSENCRequest; anything else is the start-up.
        if (code !== 80877103 && code !== 80877104) this.#started = true;
        at += length;
        continue;
      }
      if (joined.length - at < 5) break;
      const length = view.getUint32(at + 1);
      if (joined.length - at < 1 + length) break;
      const type = String.fromCharCode(joined[at]);
      if (type === "S" || type === "Q") this.onRequest();
      at += 1 + length;
    }
    this.#buffer = joined.slice(at);
  }
}
