import type { VirtualClock } from "./virtual_clock.ts";

/**
 * A `fetch` for real sockets under a virtual clock: each request, body included, is tracked
 * as I/O, so the clock waits for it instead of jumping to the next timer (which would fire a
 * request's deadline while the loopback answer is on its way). The body is read in full
 * before the response is handed over.
 */
export function ioTrackedFetch(clock: VirtualClock, inner: typeof fetch = fetch): typeof fetch {
  return (input, init) =>
    clock.trackIo((async () => {
      const response = await inner(input, init);
      const body = await response.arrayBuffer();
      return new Response(response.status === 204 || response.status === 304 ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    })());
}
