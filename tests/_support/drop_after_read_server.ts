/** One request the raw server read. */
export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A raw HTTP/1.1 server on 127.0.0.1 that answers every request with keep-alive, except the
 * first request `drop` picks: that one it reads in full (the provider acted on it) and then
 * closes the connection without answering. Counts every request it reads, so a test sees
 * whether the client's HTTP stack sent one again on its own.
 */
export function startDropAfterReadServer(options: {
  drop: (request: RawRequest) => boolean;
  answer?: (
    request: RawRequest,
  ) => { status: number; body: string; type?: string };
}): { url: string; requests: RawRequest[] } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: RawRequest[] = [];
  const connections = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let dropped = false;
  const answer = options.answer ??
    (() => ({
      status: 200,
      body: '{"ok":true,"id":"x1"}',
      type: "application/json",
    }));
  const serve = async (conn: Deno.Conn) => {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(65_536);
    let data = "";
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) return;
        data += decoder.decode(buffer.subarray(0, n));
        while (true) {
          const end = data.indexOf("\r\n\r\n");
          if (end < 0) break;
          const [line, ...lines] = data.slice(0, end).split("\r\n");
          const headers = Object.fromEntries(lines.map((l) => {
            const i = l.indexOf(":");
            return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
          }));
          const length = Number(headers["content-length"] ?? 0);
          if (data.length < end + 4 + length) break;
          const [method, path] = line.split(" ");
          const request = {
            method,
            path,
            headers,
            body: data.slice(end + 4, end + 4 + length),
          };
          data = data.slice(end + 4 + length);
          requests.push(request);
          if (!dropped && options.drop(request)) {
            dropped = true;
            conn.close(); // read and acted on, never answered
            return;
          }
          const { status, body, type } = answer(request);
          const bytes = new TextEncoder().encode(body);
          await conn.write(new TextEncoder().encode(
            `HTTP/1.1 ${status} OK\r\ncontent-type: ${
              type ?? "application/json"
            }\r\ncontent-length: ${bytes.length}\r\nconnection: keep-alive\r\n\r\n`,
          ));
          await conn.write(bytes);
        }
      }
    } catch {
      // the client went away
    } finally {
      connections.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        connections.add(conn);
        const task = serve(conn);
        tasks.add(task);
        task.finally(() => tasks.delete(task));
      }
    } catch {
      // closed
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await accepting;
      await Promise.all(tasks);
    },
  };
}
