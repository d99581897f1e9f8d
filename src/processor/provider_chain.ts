import type { BreakerRegistry } from "../breaker/mod.ts";
import { PermanentError } from "../errors.ts";
import { deferralOf } from "./contact_fate.ts";
import { ScriptRejected } from "./script_checks.ts";

/** A provider of a chain could not take the contact: the next one is asked. */
export interface ChainMove {
  from: string;
  to: string;
  error: unknown;
}

/**
 * One step through its chain: the first provider whose breaker admits the call. Whatever makes
 * a provider unusable (service-wide errors, an open breaker, retries run out, a long
 * Retry-After, no slot) or refuses this contact's input moves the contact to the next link at
 * once; the primary is asked first every time, so traffic returns to it as soon as its breaker
 * lets calls through (its trials limited by `halfOpenMaxCalls`). When no link takes it, the
 * primary's failure decides the contact's fate: deferred on the primary when any link failed
 * for the service's sake, failed only when every link refused its input.
 */
export async function throughChain<Link extends { name: string }, T>(
  links: readonly Link[],
  attempt: (link: Link) => Promise<T>,
  deps: {
    breakers: Pick<BreakerRegistry, "get">;
    onMove: (move: ChainMove) => void;
    signal?: AbortSignal;
  },
): Promise<{ value: T; provider: string }> {
  const failures: unknown[] = [];
  for (const [index, link] of links.entries()) {
    const breaker = deps.breakers.get(link.name);
    let error: unknown;
    if (breaker.state === "OPEN" && index < links.length - 1) {
      error = breaker.openError(); // not called: the next link is
    } else {
      try {
        return { value: await attempt(link), provider: link.name };
      } catch (caught) {
        if (deps.signal?.aborted || !movesToNextLink(caught)) throw caught;
        error = caught;
      }
    }
    failures.push(error);
    const next = links[index + 1];
    if (next) deps.onMove({ from: link.name, to: next.name, error });
  }
  // Deferred (on the primary, when it was the one down) unless every link refused this
  // contact's input.
  throw failures.find((failure) => deferralOf(failure) !== undefined) ?? failures[0];
}

/** Whether a provider's failure lets the next link of its chain try: anything that says the
 * provider cannot serve now, or cannot serve this contact's input (its scripts were rejected).
 * A bug of ours, a ledger refusal or the step's attempts running out stop the chain. */
function movesToNextLink(error: unknown): boolean {
  return deferralOf(error) !== undefined || error instanceof PermanentError ||
    error instanceof ScriptRejected;
}
