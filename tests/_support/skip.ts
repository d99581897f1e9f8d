/**
 * Says why a test of this file cannot run here, inside this file's own output: a test that
 * only prints the reason (a print at the top of the module would land in the output of the
 * file that ran before it). The skipped test itself is registered with `ignore`.
 */
export function explainSkip(test: string, reason: string): void {
  Deno.test(`${test}: skipped here, and why`, () => {
    // deno-lint-ignore no-console -- the reason must reach the test output
    console.log(`SKIPPED: ${reason}`);
  });
}
