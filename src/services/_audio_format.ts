/**
 * Why `bytes` (served as `contentType`) are not audio in ElevenLabs' `format`
 * (`mp3_44100_128`, `pcm_16000`, `ulaw_8000`, `wav_44100`, `opus_48000_64`...), or undefined
 * when they plausibly are. Checks the content type, then the bytes the format must start with
 * or be made of: an MP3 frame sync or ID3 tag, a RIFF/WAVE header, an Ogg page, whole 16-bit
 * PCM samples.
 */
export function audioMismatch(
  format: string,
  contentType: string | null,
  bytes: Uint8Array,
): string | undefined {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type && !type.startsWith("audio/") && type !== "application/octet-stream") {
    return `content type ${type}`;
  }
  if (bytes.length === 0) return "an empty body";
  const codec = format.split("_")[0];
  const startsWith = (...prefix: number[]) => prefix.every((byte, i) => bytes[i] === byte);
  switch (codec) {
    case "mp3":
      // An ID3v2 tag, or an MPEG audio frame header (11 sync bits set).
      if (startsWith(0x49, 0x44, 0x33)) return undefined;
      if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0) return undefined;
      return "no MP3 frame sync or ID3 tag at the start";
    case "wav":
      return startsWith(0x52, 0x49, 0x46, 0x46) && bytes.length >= 12 && bytes[8] === 0x57 &&
          bytes[9] === 0x41 && bytes[10] === 0x56 && bytes[11] === 0x45
        ? undefined
        : "no RIFF/WAVE header";
    case "opus":
      return startsWith(0x4f, 0x67, 0x67, 0x53) ? undefined : "no Ogg page at the start";
    case "pcm":
      return bytes.length % 2 === 0 ? undefined : "an odd number of bytes for 16-bit PCM";
    default:
      // mu-law and A-law are headerless 8-bit samples: any non-empty body of an audio type.
      return type ? undefined : "no content type";
  }
}
