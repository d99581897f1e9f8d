import type { MiddlewareHandler } from "hono";

/** What {@link boundedBody} hands the route: the request's body, read. */
export type BodyVariables = { Variables: { body: Uint8Array } };

/**
 * Reads the request's body (at most `maxBytes`: a larger one gets 413) and hands it to the
 * route as `c.get("body")`. It reads the body itself rather than handing the request on
 * re-wrapped, as Hono's `bodyLimit` does for a body without a Content-Length: a re-wrapped
 * request copies the original's `signal`, and touching it makes Deno print a "legacy abort"
 * warning on stderr at the first answered request.
 */
export function boundedBody(maxBytes: number): MiddlewareHandler<BodyVariables> {
  return async (c, next) => {
    const tooLarge = () => c.json({ error: "request body too large" }, 413);
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > maxBytes) return tooLarge();
    const parts: Uint8Array[] = [];
    let size = 0;
    const reader = c.req.raw.body?.getReader();
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return tooLarge();
      }
      parts.push(value);
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      body.set(part, offset);
      offset += part.byteLength;
    }
    c.set("body", body);
    return await next();
  };
}
