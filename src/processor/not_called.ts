import type { SkipReason } from "../domain/mod.ts";

/**
 * The contact is not to be called: its number is on the do-not-call list, or (`call-once`)
 * another contact of the campaign was called on it. It ends `skipped`, its CRM outcome saying
 * why; nothing more is spent on it.
 */
export class ContactNotCalled extends Error {
  constructor(readonly reason: SkipReason, readonly firstContactId?: string) {
    super(
      reason === "do-not-call"
        ? "its number is on the do-not-call list (campaign.doNotCall): not called"
        : `its number was already called for contact ${firstContactId} in this campaign (campaign.samePhone is call-once): not called`,
    );
    this.name = "ContactNotCalled";
  }
}

/**
 * Another contact (of this campaign or another in the ledger) is dialling the number now: its
 * call has not ended, or its answer was lost and is still being looked for. Two contacts never
 * dial one number at once, so this one waits for that call to end.
 */
export class NumberBusy extends Error {
  constructor(readonly holder: { campaign: string; contactId: string }) {
    super(
      `its number is being dialled for contact ${holder.contactId} of campaign ${holder.campaign}: called once that call ends`,
    );
    this.name = "NumberBusy";
  }
}

/**
 * The contact's calling hours close before its call could go: its turn among the campaign's
 * calls comes after the window closes, or the provider still held the call in its queue when
 * the window closed (and it was canceled before it rang). Nothing rang; it waits for the window
 * to open again, `opensAt`.
 */
export class WindowClosed extends Error {
  constructor(readonly opensAt: number, why: string) {
    super(why);
    this.name = "WindowClosed";
  }
}
