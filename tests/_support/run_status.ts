import type { StateCounts } from "../../src/ledger/mod.ts";
import { readUntil } from "./read_until.ts";

/**
 * Waits until a running `run` child's campaign counts, read from its `/status` (at the address
 * its start-up line names), satisfy `done`. The ledger is the run's alone while it runs, so this
 * is how a test (or an operator) watches it. Returns everything the child writes on stderr,
 * resolved when it ends.
 */
export async function waitForCounts(
  child: Deno.ChildProcess,
  done: (counts: StateCounts) => boolean,
): Promise<{ stderr: Promise<string> }> {
  const { match, text } = await readUntil(
    child.stderr,
    /status: (http:\/\/127\.0\.0\.1:\d+)\//,
  );
  for (let i = 0; i < 400; i++) {
    const response = await fetch(`${match[1]}/status`);
    const status = await response.json() as { campaign: { counts: StateCounts } };
    if (done(status.campaign.counts)) return { stderr: text };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the run's counts never got there");
}
