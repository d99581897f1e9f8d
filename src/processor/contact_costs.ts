import type { ContactProgress } from "../domain/mod.ts";
import type { PriceList, ScriptUsage, SpendGuard, SpendVerdict } from "../spend/mod.ts";

/** A spend cap stops the contact's next paid step. */
export class SpendCapReached extends Error {
  constructor(readonly verdict: Exclude<SpendVerdict, { allowed: true }>) {
    super(verdict.message);
    this.name = "SpendCapReached";
  }
}

/**
 * What a contact's paid steps cost, added to its progress (kept in the ledger with the step,
 * and counted toward the campaign's caps in the same commit), and the caps checked before each.
 * Without prices nothing is priced; without a guard nothing is capped.
 */
export class ContactCosts {
  readonly #prices?: PriceList;
  readonly #budget?: SpendGuard;

  constructor(prices?: PriceList, budget?: SpendGuard) {
    this.#prices = prices;
    this.#budget = budget;
  }

  /** The currency costs are counted in, when anything is priced. */
  get currency(): string | undefined {
    return this.#prices?.currency;
  }

  /** A script `provider` wrote; returns what it cost. */
  script(progress: ContactProgress, provider: string, written: ScriptUsage): number {
    return this.#add(progress, "llm", this.#prices?.script(provider, written));
  }

  /** Speech `provider` made, `characters` billed; returns what it cost. */
  speech(progress: ContactProgress, provider: string, characters: number): number {
    return this.#add(progress, "tts", this.#prices?.speech(provider, characters));
  }

  /** A call that lasted `durationS` (its provider's price, if it said); returns what it cost.
   * Without the provider's price the cost is an estimate, marked on the call to be replaced. */
  call(progress: ContactProgress, durationS: number, price?: number): number {
    const cost = this.#add(progress, "call", this.#prices?.call(durationS, price));
    const final = progress.call?.final;
    if (cost > 0 && price === undefined && final) {
      final.estimate = { amount: cost, day: progress.unsavedCost!.day };
    }
    return cost;
  }

  /** Throws {@link SpendCapReached} when a cap stops the contact's next paid step. */
  async mayPay(progress: ContactProgress): Promise<void> {
    const verdict = await this.#budget?.check(progress.spend);
    if (verdict && !verdict.allowed) throw new SpendCapReached(verdict);
  }

  #add(progress: ContactProgress, step: "llm" | "tts" | "call", cost: number | undefined): number {
    if (!cost) return 0;
    progress.spend ??= {};
    progress.spend[step] = (progress.spend[step] ?? 0) + cost;
    progress.unsavedCost = { amount: cost, day: this.#budget?.today() ?? "" };
    return cost;
  }
}
