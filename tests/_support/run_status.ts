import type { StateCounts } from "../../src/ledger/mod.ts";
import { readUntil } from "./read_until.ts";

/**
 * The status server's address a running `run` child names in its start-up line, and everything
 * it writes on stderr (resolved when it ends; await it before the test ends).
 */
export async function readStatusUrl(
  child: Deno.ChildProcess,
): Promise<{ url: string; stderr: Promise<string> }> {
  const { match, text } = await readUntil(
    child.stderr,
    /status: (http:\/\/127\.0\.0\.1:\d+)\//,
  );
  return { url: match[1], stderr: text };
}

/**
 * Waits until a running campaign's counts, read from its `/status` at `url`, satisfy `done`.
 * The ledger is the run's alone while it runs, so this is how a test (or an operator) watches it.
 */
export async function waitForCounts(
  url: string,
  done: (counts: StateCounts) => boolean,
): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const response = await fetch(`${url}/status`);
    const status = await response.json() as { campaign: { counts: StateCounts } };
    if (done(status.campaign.counts)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the run's counts never got there");
}
