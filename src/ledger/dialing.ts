/**
 * The campaign's do-not-call numbers (E.164), kept in the ledger rather than in memory, so a
 * list of any size costs one indexed look-up per dial. A reload adds every number under a new
 * `version`, then prunes the numbers of older versions: during a reload both lists apply.
 */
export interface DoNotCallList {
  /** Lists `phones` under `version` (a number already listed takes the new version, unless
   * it opted out: see {@link optOutVersion}). */
  add(campaign: string, phones: readonly string[], version: string): Promise<void>;
  /** Removes the numbers not listed under `version`, save those that opted out; returns how
   * many. */
  prune(campaign: string, version: string): Promise<number>;
  has(campaign: string, phone: string): Promise<boolean>;
  count(campaign: string): Promise<number>;
}

/**
 * A campaign's dial turns: calls are created one turn apart, whichever process creates them
 * (the provider counts calls per second at arrival, per account).
 */
export interface DialTurns {
  /** Takes the next turn of `campaign` (no earlier than `now`; each `spacingMs` after the one
   * before) and returns its time. */
  next(campaign: string, now: number, spacingMs: number): Promise<number>;
}

/** The version under which a number that pressed the opt-out key is listed: it stays listed
 * whatever a do-not-call file says later (no reading of a file prunes it, or takes it over). */
export const optOutVersion = "opt-out";
