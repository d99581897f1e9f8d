/** Prints why a test is skipped, so a skipped run says what it did not check. */
export function printSkip(reason: string): void {
  // deno-lint-ignore no-console -- the reason must reach the test output
  console.log(`SKIPPED: ${reason}`);
}
