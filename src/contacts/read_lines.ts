/** One line of a file, decoded, or the reason it could not be. `line` counts from 1. */
export type Line = { line: number; text: string } | { line: number; error: string };

/** The file cannot be read as contacts at all (wrong encoding, unreadable). Exit code 2. */
export class ContactsFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ContactsFileError";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Splits a byte stream into lines without holding the file in memory. Each line is decoded
 * on its own as strict UTF-8, so one badly encoded row is reported by its line number and the
 * rest of the file goes on. A UTF-8 byte-order mark is skipped; a UTF-16 one is refused.
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  let pending = new Uint8Array(0);
  let lineNumber = 0;
  let first = true;
  for await (let chunk of stream) {
    if (first) {
      first = false;
      if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
        throw new ContactsFileError("the file is UTF-16; save it as UTF-8 and load it again");
      }
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    const data = pending.length === 0 ? chunk : concat(pending, chunk);
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0x0a) continue;
      yield decodeLine(++lineNumber, data.subarray(start, i));
      start = i + 1;
    }
    pending = data.slice(start);
  }
  if (pending.length > 0) yield decodeLine(++lineNumber, pending);
}

function decodeLine(line: number, bytes: Uint8Array): Line {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d
    ? bytes.length - 1
    : bytes.length;
  try {
    return { line, text: utf8.decode(bytes.subarray(0, end)) };
  } catch {
    return { line, error: "not valid UTF-8; save the file as UTF-8" };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
