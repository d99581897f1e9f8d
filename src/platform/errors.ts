/** Whether `error` is the runtime refusing an operation its permissions do not allow (Deno's
 * `NotCapable`): the caller says which permission the task lacks. */
export function isPermissionError(error: unknown): error is Error {
  return error instanceof Deno.errors.NotCapable;
}
