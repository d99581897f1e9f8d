/**
 * A Map that remembers its most recently set entries: at least `keep` of them, at most twice
 * that. Setting a key again makes it recent. Past `2 * keep` entries the older ones are dropped
 * in one go: deleting the oldest key one at a time would leave holes that every later search
 * for the oldest walks over, slowing each insertion as a long campaign goes on.
 */
export class RecentMap<K, V> extends Map<K, V> {
  readonly #keep: number;

  constructor(keep: number) {
    super();
    this.#keep = keep;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > 2 * this.#keep) {
      const recent = [...this.entries()].slice(-this.#keep);
      this.clear();
      for (const [k, v] of recent) super.set(k, v);
    }
    return this;
  }
}
