import type {
  ContactLoading,
  ContactQueue,
  DialRegistry,
  SpendLedger,
  StepJournal,
} from "./campaign_store.ts";

/** A store's roles, one object (and file) each. */
export interface StoreRoles {
  loading: ContactLoading;
  queue: ContactQueue;
  journal: StepJournal;
  spend: SpendLedger;
  registry: DialRegistry;
}

/**
 * What every store shares: each call of the role interfaces handed to the object that plays the
 * role. A store extends it with its roles and adds what is its own (opening, counts, closing).
 */
export abstract class StoreByRole
  implements ContactLoading, ContactQueue, StepJournal, SpendLedger, DialRegistry {
  readonly #roles: StoreRoles;

  protected constructor(roles: StoreRoles) {
    this.#roles = roles;
  }

  ensureCampaign(
    ...a: Parameters<ContactLoading["ensureCampaign"]>
  ): ReturnType<ContactLoading["ensureCampaign"]> {
    return this.#roles.loading.ensureCampaign(...a);
  }

  addContacts(
    ...a: Parameters<ContactLoading["addContacts"]>
  ): ReturnType<ContactLoading["addContacts"]> {
    return this.#roles.loading.addContacts(...a);
  }

  addInvalid(
    ...a: Parameters<ContactLoading["addInvalid"]>
  ): ReturnType<ContactLoading["addInvalid"]> {
    return this.#roles.loading.addInvalid(...a);
  }

  invalidRows(
    ...a: Parameters<ContactLoading["invalidRows"]>
  ): ReturnType<ContactLoading["invalidRows"]> {
    return this.#roles.loading.invalidRows(...a);
  }

  resumeInterrupted(
    ...a: Parameters<ContactQueue["resumeInterrupted"]>
  ): ReturnType<ContactQueue["resumeInterrupted"]> {
    return this.#roles.queue.resumeInterrupted(...a);
  }

  claimNext(...a: Parameters<ContactQueue["claimNext"]>): ReturnType<ContactQueue["claimNext"]> {
    return this.#roles.queue.claimNext(...a);
  }

  claim(...a: Parameters<ContactQueue["claim"]>): ReturnType<ContactQueue["claim"]> {
    return this.#roles.queue.claim(...a);
  }

  renewLeases(
    ...a: Parameters<ContactQueue["renewLeases"]>
  ): ReturnType<ContactQueue["renewLeases"]> {
    return this.#roles.queue.renewLeases(...a);
  }

  nextLeaseExpiry(
    ...a: Parameters<ContactQueue["nextLeaseExpiry"]>
  ): ReturnType<ContactQueue["nextLeaseExpiry"]> {
    return this.#roles.queue.nextLeaseExpiry(...a);
  }

  unclaim(...a: Parameters<ContactQueue["unclaim"]>): ReturnType<ContactQueue["unclaim"]> {
    return this.#roles.queue.unclaim(...a);
  }

  releaseDeferred(
    ...a: Parameters<ContactQueue["releaseDeferred"]>
  ): ReturnType<ContactQueue["releaseDeferred"]> {
    return this.#roles.queue.releaseDeferred(...a);
  }

  deferredServices(
    ...a: Parameters<ContactQueue["deferredServices"]>
  ): ReturnType<ContactQueue["deferredServices"]> {
    return this.#roles.queue.deferredServices(...a);
  }

  nextDeferredAt(
    ...a: Parameters<ContactQueue["nextDeferredAt"]>
  ): ReturnType<ContactQueue["nextDeferredAt"]> {
    return this.#roles.queue.nextDeferredAt(...a);
  }

  failRemaining(
    ...a: Parameters<ContactQueue["failRemaining"]>
  ): ReturnType<ContactQueue["failRemaining"]> {
    return this.#roles.queue.failRemaining(...a);
  }

  saveStep(...a: Parameters<StepJournal["saveStep"]>): ReturnType<StepJournal["saveStep"]> {
    return this.#roles.journal.saveStep(...a);
  }

  complete(...a: Parameters<StepJournal["complete"]>): ReturnType<StepJournal["complete"]> {
    return this.#roles.journal.complete(...a);
  }

  fail(...a: Parameters<StepJournal["fail"]>): ReturnType<StepJournal["fail"]> {
    return this.#roles.journal.fail(...a);
  }

  skip(...a: Parameters<StepJournal["skip"]>): ReturnType<StepJournal["skip"]> {
    return this.#roles.journal.skip(...a);
  }

  defer(...a: Parameters<StepJournal["defer"]>): ReturnType<StepJournal["defer"]> {
    return this.#roles.journal.defer(...a);
  }

  spendOf(...a: Parameters<SpendLedger["spendOf"]>): ReturnType<SpendLedger["spendOf"]> {
    return this.#roles.spend.spendOf(...a);
  }

  estimatedCallPrices(
    ...a: Parameters<SpendLedger["estimatedCallPrices"]>
  ): ReturnType<SpendLedger["estimatedCallPrices"]> {
    return this.#roles.spend.estimatedCallPrices(...a);
  }

  settleCallPrice(
    ...a: Parameters<SpendLedger["settleCallPrice"]>
  ): ReturnType<SpendLedger["settleCallPrice"]> {
    return this.#roles.spend.settleCallPrice(...a);
  }

  spendTotals(
    ...a: Parameters<SpendLedger["spendTotals"]>
  ): ReturnType<SpendLedger["spendTotals"]> {
    return this.#roles.spend.spendTotals(...a);
  }

  recordedCalls(
    ...a: Parameters<DialRegistry["recordedCalls"]>
  ): ReturnType<DialRegistry["recordedCalls"]> {
    return this.#roles.registry.recordedCalls(...a);
  }

  calledBefore(
    ...a: Parameters<DialRegistry["calledBefore"]>
  ): ReturnType<DialRegistry["calledBefore"]> {
    return this.#roles.registry.calledBefore(...a);
  }
}
