import type { LogFile, LogFiles } from "../logging/mod.ts";

/** The log file's calls, on Deno's file system API. */
export const denoLogFiles: LogFiles = {
  open(path: string): LogFile {
    const file = Deno.openSync(path, { create: true, append: true });
    return {
      write(bytes) {
        let rest = bytes;
        while (rest.length > 0) rest = rest.subarray(file.writeSync(rest));
      },
      sync: () => file.sync(),
      close: () => file.close(),
    };
  },
  size(path: string): number {
    try {
      return Deno.statSync(path).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return 0;
      throw error;
    }
  },
  rename(from: string, to: string): void {
    try {
      Deno.renameSync(from, to);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  },
};
