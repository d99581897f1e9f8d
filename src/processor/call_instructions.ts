import type { CampaignStore } from "../ledger/mod.ts";
import { optOutVersion } from "../ledger/mod.ts";
import type { DialRequest, TelephonyService } from "../services/mod.ts";
import { answerFor, type CallUpdates, type MachinePolicy } from "../telephony/mod.ts";
import type { CallStep } from "./call_step.ts";
import { progressOf } from "./contact_ledger.ts";

/**
 * What the status server tells the provider about a call of the campaign while it is live: the
 * instructions once it is answered (the message, the voicemail or a hang-up, as the campaign's
 * policy gives the one who answered), and what the opt-out key does. Read from the ledger, so
 * any agent of the campaign answers for any other's call.
 */
export class CallInstructions {
  constructor(
    readonly deps: {
      campaign: string;
      store: Pick<CampaignStore, "get" | "doNotCall">;
      callStep: CallStep;
      telephony: TelephonyService;
      updates: CallUpdates;
      machines: MachinePolicy;
    },
  ) {}

  /** The instructions of dial `marker` of `contactId`, answered by `answeredBy` (unset: not
   * told); undefined when the contact or its script is not in the ledger. */
  async answered(
    contactId: string,
    marker: string,
    answeredBy?: string,
  ): Promise<string | undefined> {
    const { telephony, machines } = this.deps;
    const dial = await this.#requestOf(contactId, marker);
    if (!dial || !telephony.instructions) return undefined;
    return telephony.instructions(dial, answerFor(machines, answeredBy));
  }

  /**
   * `digits` pressed on call `sid` of dial `marker`: the opt-out key puts the contact's number on
   * the campaign's do-not-call list (in the ledger, for every agent at once) and says so; any
   * other key ends the call. Undefined when the contact is not in the ledger.
   */
  async pressed(
    contactId: string,
    marker: string,
    digits: string,
    sid?: string,
  ): Promise<string | undefined> {
    const { telephony, store, campaign, updates } = this.deps;
    const dial = await this.#requestOf(contactId, marker);
    if (!dial || !telephony.instructions) return undefined;
    if (!dial.optOut || digits !== dial.optOut.digit) {
      return telephony.instructions(dial, "hang-up");
    }
    await store.doNotCall.add(campaign, [dial.to], optOutVersion);
    if (sid) updates.optOut(sid);
    return telephony.instructions(dial, "opted-out");
  }

  /** What dial `marker` of `contactId` asked of the provider, as the ledger has it; undefined
   * when the contact or its script is not there. */
  async #requestOf(contactId: string, marker: string): Promise<DialRequest | undefined> {
    const record = await this.deps.store.get(this.deps.campaign, contactId);
    if (!record) return undefined;
    const progress = progressOf(record);
    if (!progress.script) return undefined;
    return this.deps.callStep.requestFor(record.contact, progress, {
      script: progress.script.text,
      voicemail: progress.script.by?.voicemail,
      marker,
    });
  }
}
