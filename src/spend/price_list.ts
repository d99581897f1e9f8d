import { type AgentConfig, chainProviders } from "../config/mod.ts";

/** What a script's provider reported it billed. */
export interface ScriptUsage {
  model?: string;
  usage?: { inputTokens: number; outputTokens: number };
}

/**
 * What each paid request cost, from what its provider reported and `pricing`: a script by its
 * tokens at its model's price, a voice by the characters billed, a call by the price its
 * provider reported or per started minute. Knows which kind of provider each service (and
 * each fallback link) is. Mocks, and a model or kind with no price, cost 0.
 */
export class PriceList {
  readonly currency: string;
  readonly #pricing: AgentConfig["pricing"];
  readonly #kinds: ReadonlyMap<string, string>;
  readonly #models: ReadonlyMap<string, string>;

  constructor(config: Pick<AgentConfig, "pricing" | "services">) {
    this.#pricing = config.pricing;
    this.currency = config.pricing.currency;
    const scriptProviders = chainProviders(config, "llm");
    const voices = chainProviders(config, "tts");
    this.#kinds = new Map([
      ...scriptProviders.map(({ name, section }): [string, string] => [name, section.kind]),
      ...voices.map(({ name, section }): [string, string] => [name, section.kind]),
      ["telephony", config.services.telephony.kind],
    ]);
    // The model a script provider is configured with, when its answer does not name one.
    this.#models = new Map(
      scriptProviders.flatMap(({ name, section }): [string, string][] =>
        section.kind === "openai"
          ? [[name, section.openai.model]]
          : section.kind === "anthropic"
          ? [[name, section.anthropic.model]]
          : []
      ),
    );
  }

  /** A script written by `service`: its reported tokens at its model's price. */
  script(service: string, written: ScriptUsage): number {
    if (this.#kinds.get(service) === "mock" || !written.usage) return 0;
    const model = written.model ?? this.#models.get(service) ?? "";
    // A dated snapshot (gpt-4o-mini-2024-07-18) takes its model's price: the longest name
    // that starts it.
    const name = Object.keys(this.#pricing.llm).filter((key) => model.startsWith(key))
      .sort((a, b) => b.length - a.length)[0];
    const price = name === undefined ? undefined : this.#pricing.llm[name];
    if (!price) return 0;
    return (written.usage.inputTokens * price.inputPerMillion +
      written.usage.outputTokens * price.outputPerMillion) / 1_000_000;
  }

  /** Speech made by `service`, `characters` billed. */
  speech(service: string, characters: number): number {
    const price = this.#pricing.tts[this.#kinds.get(service) ?? ""];
    return price ? characters * price.perThousandCharacters / 1_000 : 0;
  }

  /** A call that lasted `durationS`: the price its provider reported, else per started
   * minute (an unanswered call lasts 0 s and costs nothing). */
  call(durationS: number, reportedPrice?: number): number {
    if (reportedPrice !== undefined) return reportedPrice;
    const price = this.#pricing.telephony[this.#kinds.get("telephony") ?? ""];
    return price ? Math.ceil(durationS / 60) * price.perMinute : 0;
  }
}
