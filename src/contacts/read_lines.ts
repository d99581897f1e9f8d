/** One line of a file, decoded, or the reason it could not be. `line` counts from 1. */
export type Line =
  | { line: number; text: string; bytes: number }
  | { line: number; error: string };

/** The file cannot be read as contacts at all (wrong encoding, unreadable). Exit code 2. */
export class ContactsFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ContactsFileError";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Default longest line (and record): 64 KiB. */
export const defaultMaxRecordBytes = 64 * 1024;

/**
 * Splits a byte stream into lines without holding the file in memory. Each line is decoded
 * on its own as strict UTF-8, so one badly encoded row is reported by its line number and the
 * rest of the file goes on. A line longer than `maxLineBytes` is reported as such and its bytes
 * are skipped, not kept: memory stays flat whatever the file holds. A UTF-8 byte-order mark
 * is skipped; a UTF-16 one is refused.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxLineBytes = defaultMaxRecordBytes,
): AsyncGenerator<Line> {
  const parts: Uint8Array[] = [];
  let partBytes = 0;
  let tooLong = false;
  let lineNumber = 0;
  let first = true;
  const take = (end: Uint8Array): Line => {
    lineNumber++;
    if (tooLong) {
      return {
        line: lineNumber,
        error: `longer than ${maxLineBytes} bytes; a row must fit in contacts.maxRecordBytes`,
      };
    }
    const bytes = parts.length === 0 ? end : concat([...parts, end], partBytes + end.length);
    return decodeLine(lineNumber, bytes);
  };
  for await (let chunk of stream) {
    if (first) {
      first = false;
      if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
        throw new ContactsFileError("the file is UTF-16; save it as UTF-8 and load it again");
      }
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      if (!tooLong && partBytes + piece.length > maxLineBytes) {
        tooLong = true; // keep counting the line, not its bytes
        parts.length = 0;
      }
      if (newline < 0) {
        if (!tooLong) {
          parts.push(piece.slice());
          partBytes += piece.length;
        }
        break;
      }
      yield take(tooLong ? new Uint8Array() : piece);
      parts.length = 0;
      partBytes = 0;
      tooLong = false;
      start = newline + 1;
    }
  }
  if (partBytes > 0 || tooLong) yield take(new Uint8Array());
}

function decodeLine(line: number, bytes: Uint8Array): Line {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d
    ? bytes.length - 1
    : bytes.length;
  try {
    return { line, text: utf8.decode(bytes.subarray(0, end)), bytes: bytes.length + 1 };
  } catch {
    return { line, error: "not valid UTF-8; save the file as UTF-8" };
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
