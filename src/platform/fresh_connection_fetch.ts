/**
 * A `fetch` whose connections are never reused, for requests that must not be sent twice.
 *
 * Deno's `fetch` pools keep-alive connections, and when a reused connection turns out closed
 * after the server read a request but before it answered, it silently sends the request again
 * on a new connection and returns the second answer. For a POST without an idempotency key
 * (a chat completion, a synthesis, a Sheets append, a Telegram message, a call) that is a
 * second side effect nobody asked for. On a connection that was never used before there is
 * nothing to retry: the failure reaches the caller, which resolves it (a read-back, a lookup)
 * before deciding to send again. Close it (`using`) when done.
 */
export function createFreshConnectionFetch(): typeof fetch & Disposable {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const freshFetch = (input: RequestInfo | URL, init?: RequestInit) =>
    fetch(input, { ...init, client } as RequestInit);
  return Object.assign(freshFetch, { [Symbol.dispose]: () => client.close() });
}
