/**
 * Reads a child's text stream until `pattern` matches, then keeps draining it so the child
 * never blocks on a full pipe. `text` is everything the stream carried, once it ends: await
 * it before the test ends (the resource sanitizer).
 */
export async function readUntil(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
): Promise<{ match: RegExpExecArray; text: Promise<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before ${pattern}: ${text}`);
    text += value;
    const match = pattern.exec(text);
    if (match) {
      const all = (async () => {
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          text += read.value;
        }
        return text;
      })().catch(() => text);
      return { match, text: all };
    }
  }
}
