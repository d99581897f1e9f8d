import { LedgerError } from "../ledger/mod.ts";
import { environmentFailureOf } from "../platform/mod.ts";

/** The environment refused something the command needs; the message says what and the fix.
 * Exit code 2. */
export class EnvironmentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnvironmentError";
  }
}

/** What the command needed from the environment when it failed. */
export type Access = "read" | "write" | "listen";

/** Where each task may write (deno.json gives it that `--allow-write`), and the fix: what a
 * refused write is told. */
export const taskWrites = {
  start:
    "`deno task start` may write only under ./data, ./logs and ./audio (docs/operations.md, Tasks and permissions): put it there, or run with a wider --allow-write",
  simulate:
    "`deno task simulate` may write only under ./logs (e.g. --html logs/simulation.html): put it there, or run with a wider --allow-write",
} as const;

/**
 * Turns a failure of the environment (a missing or unreadable file, a folder where a file was
 * expected, a path the task may not write, a port in use, a ledger that is not one) into a
 * {@link EnvironmentError} (exit 2) whose one sentence names `subject` and the fix. Anything else is
 * returned as it was: a bug, not the user's to fix. A refused write is told `writableBy`: where
 * the command's task may write, and the fix ({@link taskWrites}).
 */
export function environmentError(
  subject: string,
  error: unknown,
  access: Access,
  writableBy: string = taskWrites.start,
): unknown {
  const why = reasonOf(error, access, writableBy);
  return why === undefined ? error : new EnvironmentError(`${subject}: ${why}`, { cause: error });
}

function reasonOf(error: unknown, access: Access, writableBy: string): string | undefined {
  if (error instanceof LedgerError) return error.message.replace(/^\S+ /, "");
  switch (environmentFailureOf(error)) {
    case "not-permitted":
      return access === "write"
        ? `this task may not write there; ${writableBy}`
        : access === "read"
        ? "this task may not read it; run with a wider --allow-read"
        : "this task may not listen there; run with --allow-net";
    case "not-found":
      return access === "read" ? "file not found" : "its folder cannot be created or found";
    case "is-a-folder":
      return "is a folder, not a file; give the path of a file";
    case "not-a-folder":
      return "a part of the path is a file, not a folder; check the path";
    case "access-denied":
      return `the file system refuses to let this user ${access} it; check its owner and mode`;
    case "address-in-use":
      return "the port is in use by another program; choose another with --port, or --port 0 for any free one";
    case "address-not-available":
      return "no interface of this machine has that address; use 127.0.0.1, or an address of this machine";
  }
  if (
    access === "listen" && error instanceof Error && /lookup|resolve|invalid/i.test(error.message)
  ) {
    return `cannot listen there (${error.message}); use 127.0.0.1, or an address of this machine`;
  }
  return undefined;
}
