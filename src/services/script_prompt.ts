import type { CampaignSettings } from "./types.ts";
import type { Contact } from "../domain/mod.ts";

/** The default system prompt of the script writer. */
export const defaultSystemPrompt =
  "You write short, friendly, natural phone call scripts for an outbound calling agent. " +
  "Write only the words the agent will say, in plain sentences, under 70 words " +
  "(about 30 seconds spoken), with every name and detail filled in: no placeholders. " +
  "Introduce the caller, state the purpose, and end with a clear question.";

/** The user message asking for one contact's script: who, why, and any notes or fields. */
export function scriptRequest(contact: Contact, campaign: CampaignSettings): string {
  const lines = [
    `Caller: ${campaign.callerName}`,
    `Person called: ${contact.name}`,
    `Purpose: ${contact.purpose ?? campaign.purpose}`,
  ];
  if (contact.notes) lines.push(`Notes: ${contact.notes}`);
  for (const [key, value] of Object.entries(contact.fields ?? {})) {
    if (value !== "") lines.push(`${key}: ${value}`);
  }
  lines.push("Write the script.");
  return lines.join("\n");
}
