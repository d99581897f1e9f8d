import { callSidsOf, type DialRegistry } from "../campaign_store.ts";
import type { MemoryContacts } from "./memory_contacts.ts";

/** The calls recorded to each number, from the contacts in memory. */
export class InMemoryDialRegistry implements DialRegistry {
  constructor(readonly contacts: MemoryContacts) {}

  recordedCalls(phone: string): Promise<string[]> {
    return Promise.resolve(
      [...this.contacts.byPhone.get(phone) ?? []].flatMap((entry) =>
        callSidsOf(entry.outputs.call)
      ),
    );
  }

  calledBefore(campaign: string, phone: string, contactId: string): Promise<string | undefined> {
    return Promise.resolve(this.contacts.firstCaller(campaign, phone, contactId));
  }
}
