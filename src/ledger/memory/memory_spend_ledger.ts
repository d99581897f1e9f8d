import type { SpendLedger } from "../campaign_store.ts";
import { settleEstimate, type StepSpend, totalSpend } from "../../domain/mod.ts";
import type { MemoryContacts } from "./memory_contacts.ts";

/** What the campaign spent, in memory: per contact, and per calendar day for the caps. */
export class InMemorySpendLedger implements SpendLedger {
  /** Each campaign's spend per day, as saves with a cost recorded it. */
  readonly #spendByDay = new Map<string, Map<string, number>>();

  constructor(readonly contacts: MemoryContacts) {}

  estimatedCallPrices(
    campaign: string,
  ): Promise<{ contactId: string; sid: string; estimate: number }[]> {
    return Promise.resolve(
      [...this.contacts.campaign(campaign).entries.values()].flatMap((e) => {
        const call = e.outputs.call;
        const estimate = call?.final?.estimate;
        return estimate && call?.sid
          ? [{ contactId: e.contact.id, sid: call.sid, estimate: estimate.amount }]
          : [];
      }),
    );
  }

  settleCallPrice(campaign: string, contactId: string, price: number): Promise<boolean> {
    const entry = this.contacts.campaign(campaign).entries.get(contactId);
    const settled = entry && settleEstimate(entry.outputs.call, entry.outputs.spend, price);
    if (!entry || !settled) return Promise.resolve(false);
    entry.outputs.call = settled.call;
    entry.outputs.spend = settled.spend;
    this.add(campaign, settled.day, settled.delta);
    return Promise.resolve(true);
  }

  spendTotals(campaign: string, day: string): Promise<{ total: number; onDay: number }> {
    const days = this.#spendByDay.get(campaign) ?? new Map<string, number>();
    let total = 0;
    for (const amount of days.values()) total += amount;
    return Promise.resolve({ total, onDay: days.get(day) ?? 0 });
  }

  spendOf(campaign: string): Promise<StepSpend> {
    return Promise.resolve(
      totalSpend(
        [...this.contacts.campaign(campaign).entries.values()].map((e) => e.outputs.spend),
      ),
    );
  }

  /** Adds `amount` to the campaign's spend on `day`. */
  add(campaign: string, day: string, amount: number): void {
    const days = this.#spendByDay.get(campaign) ?? new Map<string, number>();
    days.set(day, (days.get(day) ?? 0) + amount);
    this.#spendByDay.set(campaign, days);
  }
}
