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
  if (campaign.answeringMachine === "voicemail") {
    lines.push(
      `Then, on a line of its own starting with ${voicemailMarker}, a shorter message of under 40 words to leave on an answering machine.`,
    );
  }
  return lines.join("\n");
}

/** What starts the voicemail in a script written with one. */
export const voicemailMarker = "VOICEMAIL:";

/** A script written with a voicemail, split in two: the message, and the voicemail after its
 * marker (undefined when the model wrote none). */
export function splitVoicemail(text: string): { message: string; voicemail?: string } {
  const at = text.search(/^\s*VOICEMAIL:/m);
  if (at < 0) return { message: text };
  const voicemail = text.slice(at).replace(/^\s*VOICEMAIL:\s*/, "").trim();
  return { message: text.slice(0, at).trim(), ...(voicemail ? { voicemail } : {}) };
}
