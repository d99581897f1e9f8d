/** An HTTP server on 127.0.0.1 at a free port, for the fake providers tests and the simulation
 * run against. */
export interface LoopbackServer {
  readonly port: number;
  /** Stops accepting and waits for the requests in flight to finish. */
  shutdown(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 at a port the system picks; a handler that throws answers 500
 * with `errorBody`. */
export function serveLoopback(
  handler: (request: Request) => Response | Promise<Response>,
  errorBody: string,
): LoopbackServer {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    onError: () => new Response(errorBody, { status: 500 }),
  }, handler);
  return { port: server.addr.port, shutdown: () => server.shutdown() };
}
