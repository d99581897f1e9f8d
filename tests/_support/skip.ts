/**
 * The name of a test that cannot run here, with the reason in it: registered with the runner's
 * own `ignore`, the test reports as ignored (never as a pass), and its line in the output says
 * why. Where it can run, the name is as given.
 */
export function nameUnless(name: string, reason: string | undefined): string {
  return reason === undefined ? name : `${name} (ignored here: ${reason})`;
}
