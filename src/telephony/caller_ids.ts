import { createHash } from "node:crypto";
import { numberParts } from "../domain/mod.ts";

/**
 * Which of the account's numbers a call comes from. People answer a local number far more
 * often than an unknown distant one, and one number dialling thousands is flagged by carriers:
 * a callee gets a number of the pool that shares its area code (the North American plan's),
 * else one that shares its country calling code, else any; among those, always the same one for
 * the same callee (a redial comes from the number that called before), the callees spread
 * evenly over them.
 */
export class CallerIds {
  readonly pool: readonly string[];
  readonly #parts: { number: string; callingCode?: string; area?: string }[];

  constructor(pool: readonly string[]) {
    if (pool.length === 0) throw new RangeError("services.telephony.twilio.from: no number");
    this.pool = [...new Set(pool)];
    this.#parts = this.pool.map((number) => ({ number, ...numberParts(number) }));
  }

  /** The number to call `callee` (E.164) from. */
  for(callee: string): string {
    if (this.pool.length === 1) return this.pool[0];
    const parts = numberParts(callee);
    const local = parts?.area
      ? this.#parts.filter((own) =>
        own.callingCode === parts.callingCode && own.area === parts.area
      )
      : [];
    const national = this.#parts.filter((own) => own.callingCode === parts?.callingCode);
    const candidates = (local.length > 0 ? local : national.length > 0 ? national : this.#parts)
      .map((own) => own.number);
    const spread = createHash("sha256").update(callee).digest().readUInt32BE(0);
    return candidates[spread % candidates.length];
  }
}
