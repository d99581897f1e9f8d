/** Whether `error` is the runtime refusing an operation its permissions do not allow (Deno's
 * `NotCapable`): the caller says which permission the task lacks. */
export function isPermissionError(error: unknown): error is Error {
  return error instanceof Deno.errors.NotCapable;
}

/** What the operating system or the runtime said when a file or socket operation failed. */
export type EnvironmentFailure =
  | "not-permitted"
  | "not-found"
  | "is-a-folder"
  | "not-a-folder"
  | "access-denied"
  | "address-in-use"
  | "address-not-available";

const failures: [new (...args: never[]) => Error, EnvironmentFailure][] = [
  [Deno.errors.NotCapable, "not-permitted"],
  [Deno.errors.NotFound, "not-found"],
  [Deno.errors.IsADirectory, "is-a-folder"],
  [Deno.errors.NotADirectory, "not-a-folder"],
  [Deno.errors.PermissionDenied, "access-denied"],
  [Deno.errors.AddrInUse, "address-in-use"],
  [Deno.errors.AddrNotAvailable, "address-not-available"],
];

/** Which failure of the environment `error` is, or undefined when it is not one (a bug, a
 * parse error): callers turn it into a sentence the user can act on. */
export function environmentFailureOf(error: unknown): EnvironmentFailure | undefined {
  return failures.find(([type]) => error instanceof type)?.[1];
}
