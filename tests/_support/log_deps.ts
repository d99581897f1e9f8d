import { systemClock } from "../../src/clock/mod.ts";
import { denoLogFiles } from "../../src/platform/mod.ts";

/** What `main.ts` hands the log configuration: the real files and clock. */
export const logDeps = { files: denoLogFiles, clock: systemClock };
