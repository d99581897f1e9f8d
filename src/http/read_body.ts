/** The body was larger than the limit the caller set. */
export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`response body exceeds ${limitBytes} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Reads a response body up to `limitBytes`. With `truncate`, a longer body is cut at the
 * limit (for error bodies we only quote); without it, a longer body rejects with
 * {@link BodyTooLargeError}. The stream is cancelled either way, so the connection is freed.
 */
export async function readBodyCapped(
  response: Response,
  limitBytes: number,
  options: { truncate?: boolean } = {},
): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const declared = Number(response.headers.get("content-length"));
  if (!options.truncate && Number.isFinite(declared) && declared > limitBytes) {
    await response.body.cancel();
    throw new BodyTooLargeError(limitBytes);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limitBytes) {
        if (!options.truncate) throw new BodyTooLargeError(limitBytes);
        chunks.push(value.subarray(0, limitBytes - size));
        size = limitBytes;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
