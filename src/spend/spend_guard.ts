import type { Clock } from "../clock/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import { calendarDay, nextMidnight, type StepSpend } from "../domain/mod.ts";
import { Emitter } from "../events/mod.ts";
import type { CampaignStore } from "../ledger/mod.ts";

/** Whether a paid step may start: yes, or which cap stops it. */
export type SpendVerdict =
  | { allowed: true }
  | {
    allowed: false;
    cap: "campaign" | "daily";
    /** When the contact may look again: the next day for the daily cap. */
    until: number;
    message: string;
  }
  | { allowed: false; cap: "per-contact"; message: string };

/** A cap crossed: a share of it (`warnAt`), or the cap itself (`share` 1). */
export interface BudgetEvent {
  type: "budget";
  cap: "campaign" | "daily";
  share: number;
  spent: number;
  limit: number;
  currency: string;
}

/**
 * The campaign's spend caps, checked before every paid step against what the ledger counted
 * (every process's spend, where processes share it): so several agents together pass a cap by
 * no more than the requests they have in flight when it is reached.
 */
export class SpendGuard {
  readonly #budget: AgentConfig["budget"];
  readonly #currency: string;
  readonly #timeZone: string;
  readonly #campaign: string;
  readonly #store: Pick<CampaignStore, "spendTotals">;
  readonly #clock: Clock;
  readonly #events = new Emitter<BudgetEvent>();
  /** The shares of each cap already announced (per day for the daily cap). */
  readonly #announced = new Set<string>();

  constructor(
    config: Pick<AgentConfig, "budget" | "pricing" | "campaign">,
    deps: { store: Pick<CampaignStore, "spendTotals">; clock: Clock },
  ) {
    this.#budget = config.budget;
    this.#currency = config.pricing.currency;
    this.#timeZone = config.campaign.callWindow.timezone;
    this.#campaign = config.campaign.name;
    this.#store = deps.store;
    this.#clock = deps.clock;
  }

  /** Subscribes to each cap's shares and the cap itself as they are crossed. */
  onEvent(listener: (event: BudgetEvent) => void): Disposable {
    return this.#events.on(listener);
  }

  /** The campaign's calendar day now (the daily cap's day). */
  today(): string {
    return calendarDay(this.#clock.now(), this.#timeZone);
  }

  /** Whether a paid step of a contact that has spent `contactSpend` may start now. */
  async check(contactSpend: StepSpend | undefined): Promise<SpendVerdict> {
    const { campaign, daily, perContact } = this.#budget;
    const spentByContact = Object.values(contactSpend ?? {}).reduce((a, b) => a + b, 0);
    if (perContact > 0 && spentByContact >= perContact) {
      return {
        allowed: false,
        cap: "per-contact",
        message: `this contact has cost ${
          money(spentByContact)
        } ${this.#currency}, its cap (budget.perContact) is ${money(perContact)}`,
      };
    }
    if (campaign <= 0 && daily <= 0) return { allowed: true };
    const now = this.#clock.now();
    const day = this.today();
    const { total, onDay } = await this.#store.spendTotals(this.#campaign, day);
    this.#announce("campaign", total, campaign, "");
    this.#announce("daily", onDay, daily, day);
    if (campaign > 0 && total >= campaign) {
      return {
        allowed: false,
        cap: "campaign",
        // Looked at again now and then: a raised cap (the next run's config) lets it go on.
        until: now + 60_000,
        message: `the campaign has spent ${
          money(total)
        } ${this.#currency}, its cap (budget.campaign) is ${money(campaign)}`,
      };
    }
    if (daily > 0 && onDay >= daily) {
      return {
        allowed: false,
        cap: "daily",
        until: nextMidnight(now, this.#timeZone),
        message: `the campaign has spent ${
          money(onDay)
        } ${this.#currency} on ${day}, its daily cap (budget.daily) is ${money(daily)}`,
      };
    }
    return { allowed: true };
  }

  #announce(cap: "campaign" | "daily", spent: number, limit: number, day: string): void {
    if (limit <= 0) return;
    for (const share of [...this.#budget.warnAt, 1]) {
      const key = `${cap}|${day}|${share}`;
      if (spent < share * limit || this.#announced.has(key)) continue;
      this.#announced.add(key);
      this.#events.emit({ type: "budget", cap, share, spent, limit, currency: this.#currency });
    }
  }
}

/** An amount to the hundredth of a cent: fractions of a cent add up over a campaign. */
export function money(amount: number): string {
  return amount.toFixed(4);
}
