import { type Clock, every } from "../clock/mod.ts";
import type { CampaignStore } from "../ledger/mod.ts";
import type { ClaimQueue } from "./_claim_queue.ts";

/**
 * Renews the leases this process holds, a third of a lease apart, until `signal` aborts; a
 * lease another process took over (this one stalled past it) is dropped from the queue.
 */
export function renewLeases(
  store: CampaignStore,
  campaign: string,
  claims: () => ClaimQueue | undefined,
  { clock, signal }: { clock: Clock; signal: AbortSignal },
): Promise<void> {
  const everyMs = Math.max(1, Math.floor(store.lease.ms / 3));
  return every(clock, everyMs, async () => {
    const pass = claims();
    if (!pass || pass.held.size === 0) return;
    try {
      const lost = await store.renewLeases(campaign, [...pass.held], clock.now());
      if (lost.length > 0) pass.lost(lost);
    } catch {
      // A ledger that refuses the renewal refuses the workers' next write too: they stop.
    }
  }, { signal }).done;
}
