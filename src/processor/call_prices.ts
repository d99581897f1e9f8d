import type { CampaignStore } from "../ledger/mod.ts";
import type { ServiceCaller } from "../resilience/mod.ts";
import type { TelephonyService } from "../services/mod.ts";

/**
 * Replaces the estimates of calls the provider had not priced when they ended with the price
 * it says now (Twilio fills a call's `price` in some time after it ends): each call is read
 * once through the telephony service's call path; one still unpriced, or that cannot be read
 * now, keeps its estimate for a later run. Returns how many calls were settled.
 */
export async function settleCallPrices(
  campaign: string,
  deps: {
    store: Pick<CampaignStore, "estimatedCallPrices" | "settleCallPrice">;
    telephony: Pick<TelephonyService, "getCall">;
    caller: Pick<ServiceCaller, "call">;
    signal?: AbortSignal;
  },
): Promise<number> {
  let settled = 0;
  for (const { contactId, sid } of await deps.store.estimatedCallPrices(campaign)) {
    if (deps.signal?.aborted) break;
    const call = await deps.caller.call(
      "telephony",
      (signal) => deps.telephony.getCall(sid, { signal }),
      { signal: deps.signal, context: { contactId } },
    ).catch(() => undefined);
    if (call?.price === undefined) continue;
    if (await deps.store.settleCallPrice(campaign, contactId, call.price)) settled++;
  }
  return settled;
}
