/** An exclusive lock on a file, held until disposed. */
export interface HeldLock extends AsyncDisposable {
  /** Replaces the file's text (who holds the lock, for the process that is refused). */
  write(text: string): Promise<void>;
}

/**
 * Takes an exclusive advisory lock (flock) on `path`, creating the file: the lock, or, when
 * another process holds it, the text that process wrote there (at most 1 KiB). The operating
 * system drops the lock when its process dies, however it dies.
 */
export async function tryLockFile(
  path: string,
): Promise<{ lock: HeldLock } | { holderText: string }> {
  const file = await Deno.open(path, { read: true, write: true, create: true });
  try {
    if (!await file.tryLock(true)) {
      await file.seek(0, Deno.SeekMode.Start);
      const buffer = new Uint8Array(1024);
      const length = await file.read(buffer).catch(() => null);
      file.close();
      return { holderText: new TextDecoder().decode(buffer.subarray(0, length ?? 0)) };
    }
  } catch (error) {
    file.close();
    throw error;
  }
  return {
    lock: {
      async write(text) {
        await file.truncate(0);
        await file.seek(0, Deno.SeekMode.Start);
        const bytes = new TextEncoder().encode(text);
        for (let written = 0; written < bytes.length;) {
          written += await file.write(bytes.subarray(written));
        }
      },
      async [Symbol.asyncDispose]() {
        await file.unlock().catch(() => {});
        file.close();
      },
    },
  };
}

/** This process: its pid and host ("unknown host" where the task may not read it). */
export function processIdentity(): { pid: number; host: string } {
  let host = "unknown host";
  try {
    host = Deno.hostname();
  } catch {
    // Without --allow-sys=hostname the pid alone names the process.
  }
  return { pid: Deno.pid, host };
}
