/**
 * What a call does when a machine answers (`campaign.answeringMachine`):
 * - `play`: nothing special: the message plays when the line picks up (a voicemail records its
 *   tail after the greeting); machine detection only as `twilio.machineDetection` asks;
 * - `after-beep`: Twilio waits for the greeting to end (`DetectMessageEnd`) before the message
 *   plays, so a voicemail records all of it; a person hears a short silence first. The same
 *   TwiML plays to both: works without a public URL;
 * - `voicemail`: as `after-beep`, but a machine hears the shorter voicemail written with the
 *   script; needs the status server (each call's TwiML is served when it is answered);
 * - `hang-up`: hang up as soon as a machine is told (`Enable`); needs the status server.
 */
export type MachinePolicy = "play" | "after-beep" | "voicemail" | "hang-up";

/** What the person (or machine) that answered is given. */
export type Answer = "message" | "voicemail" | "hang-up";

/** The policies that must tell a machine from a person when the call is answered: Twilio
 * fetches their TwiML from the status server. */
export function needsServedTwiml(policy: MachinePolicy): boolean {
  return policy === "voicemail" || policy === "hang-up";
}

/** Twilio's `MachineDetection` for `policy`; `configured` (`twilio.machineDetection`) for
 * `play`. */
export function machineDetectionFor(
  policy: MachinePolicy,
  configured: "" | "Enable" | "DetectMessageEnd",
): "" | "Enable" | "DetectMessageEnd" {
  switch (policy) {
    case "play":
      return configured;
    case "after-beep":
    case "voicemail":
      return "DetectMessageEnd";
    case "hang-up":
      return "Enable";
  }
}

/** Whether Twilio's `AnsweredBy` says a machine answered. */
export function isMachine(answeredBy: string | undefined): boolean {
  return answeredBy?.startsWith("machine_") === true;
}

/** What the one who answered (`AnsweredBy`; unset: not told) is given under `policy`. A fax
 * is hung up on whatever the policy. */
export function answerFor(policy: MachinePolicy, answeredBy: string | undefined): Answer {
  if (answeredBy === "fax") return "hang-up";
  if (!isMachine(answeredBy)) return "message";
  switch (policy) {
    case "hang-up":
      return "hang-up";
    case "voicemail":
      return "voicemail";
    default:
      return "message";
  }
}

/**
 * Whether a message was left on a machine that answered a call that ended `completed`:
 * `after-beep` and `voicemail` leave a whole one after the beep; `hang-up` leaves none; `play`
 * plays from the pickup, so the machine records only its tail (not a message left). Undefined
 * when no machine answered, or it was not told.
 */
export function messageLeft(
  policy: MachinePolicy,
  answeredBy: string | undefined,
): boolean | undefined {
  if (!isMachine(answeredBy)) return undefined;
  return policy === "after-beep" || policy === "voicemail";
}
