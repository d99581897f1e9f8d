/**
 * The runtime's own calls that library code needs, behind the interfaces the other folders
 * define: the one place besides `main.ts` that speaks Deno's API, so another runtime means
 * another module here.
 * @module
 */
export { denoLogFiles } from "./deno_files.ts";
export { type EnvironmentFailure, environmentFailureOf, isPermissionError } from "./errors.ts";
export { createFreshConnectionFetch } from "./fresh_connection_fetch.ts";
export { type HeldLock, processIdentity, tryLockFile } from "./lock_file.ts";
export { type LoopbackServer, serveLoopback } from "./serve_loopback.ts";
export { createUntracedFetch } from "./untraced_fetch.ts";
