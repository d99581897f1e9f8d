/**
 * Reads a child's text stream until `pattern` matches, then keeps draining it so the child
 * never blocks on a full pipe. Await `drained` before the test ends (the resource sanitizer).
 */
export async function readUntil(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
): Promise<{ match: RegExpExecArray; drained: Promise<void> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before ${pattern}: ${text}`);
    text += value;
    const match = pattern.exec(text);
    if (match) {
      const drained = (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return { match, drained };
    }
  }
}
