import { type Contact, type ContactProgress, zonesOf } from "../domain/mod.ts";
import type { CallOutcome } from "../services/mod.ts";

/** What every CRM outcome of `contact` says; `campaignZone`: where calling hours are read for
 * a contact whose zone is not known. */
export function outcomeBase(
  contact: Contact,
  campaign: string,
  at: number,
  campaignZone?: string,
): Pick<
  CallOutcome,
  "campaign" | "contactId" | "contactName" | "phone" | "at" | "numberType" | "timeZones"
> {
  const zones = zonesOf(contact) ?? (campaignZone ? [campaignZone] : undefined);
  return {
    campaign,
    contactId: contact.id,
    contactName: contact.name,
    phone: contact.phone,
    ...(contact.numberType ? { numberType: contact.numberType } : {}),
    ...(zones ? { timeZones: zones } : {}),
    at,
  };
}

/**
 * The CRM outcome of a contact whose call ended: how it ended, which provider of each chain
 * wrote and spoke it (`say`: Twilio's own voice, the voice chain's last link), and what it cost.
 */
export function callOutcome(
  contact: Contact,
  progress: ContactProgress,
  deps: { campaign: string; at: number; currency?: string; campaignZone?: string },
): CallOutcome {
  const call = progress.call!;
  const final = call.final!;
  const script = progress.script!;
  const outcome: CallOutcome = {
    ...outcomeBase(contact, deps.campaign, deps.at, deps.campaignZone),
    status: final.status,
    script: script.text,
    voice: call.voice ?? "say",
    callSid: call.sid!,
    ...(call.from ? { from: call.from } : {}),
    durationS: final.durationS,
    answeredBy: final.answeredBy,
    ...(final.messageLeft === undefined ? {} : { messageLeft: final.messageLeft }),
    ...(final.optedOut ? { optedOut: true } : {}),
    dials: call.dials,
    voiceProvider: "say",
  };
  if (script.by) {
    outcome.scriptProvider = script.by.provider;
    if (script.by.model) outcome.scriptModel = script.by.model;
  }
  if (progress.scriptRejections && Object.keys(progress.scriptRejections).length > 0) {
    outcome.scriptRejections = { ...progress.scriptRejections };
  }
  if (progress.spend && deps.currency !== undefined) {
    const total = Object.values(progress.spend).reduce((a, b) => a + b, 0);
    outcome.spend = { ...progress.spend, total, currency: deps.currency };
  }
  if (call.voice === "audio" && progress.audio) {
    outcome.audioFormat = progress.audio.format;
    outcome.audioBytes = progress.audio.byteLength;
    outcome.voiceProvider = progress.audio.provider ?? "tts";
    if (progress.audio.voice) outcome.voiceName = progress.audio.voice;
  }
  return outcome;
}

/** Which fallback of each chain served a completed contact, if any did. */
export function fallbacksUsed(
  progress: ContactProgress,
): { script?: string; voice?: string } | undefined {
  const by = progress.script?.by;
  const voice = progress.audio?.provider;
  const used = {
    ...(by && by.provider !== "llm" ? { script: by.provider } : {}),
    ...(voice && voice !== "tts" ? { voice } : {}),
  };
  return Object.keys(used).length > 0 ? used : undefined;
}
