import { type DoNotCallList, optOutVersion } from "../campaign_store.ts";

/** Do-not-call lists in memory. */
export class InMemoryDoNotCallList implements DoNotCallList {
  /** Per campaign: each number and the version that listed it. */
  readonly #lists = new Map<string, Map<string, string>>();

  #list(campaign: string): Map<string, string> {
    let list = this.#lists.get(campaign);
    if (!list) this.#lists.set(campaign, list = new Map());
    return list;
  }

  add(campaign: string, phones: readonly string[], version: string): Promise<void> {
    const list = this.#list(campaign);
    for (const phone of phones) {
      if (list.get(phone) !== optOutVersion) list.set(phone, version);
    }
    return Promise.resolve();
  }

  prune(campaign: string, version: string): Promise<number> {
    const list = this.#list(campaign);
    let pruned = 0;
    for (const [phone, listedBy] of list) {
      if (listedBy !== version && listedBy !== optOutVersion) (list.delete(phone), pruned++);
    }
    return Promise.resolve(pruned);
  }

  has(campaign: string, phone: string): Promise<boolean> {
    return Promise.resolve(this.#list(campaign).has(phone));
  }

  count(campaign: string): Promise<number> {
    return Promise.resolve(this.#list(campaign).size);
  }
}
