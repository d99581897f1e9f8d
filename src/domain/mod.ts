/**
 * The domain every layer speaks: a contact, where it is, its pipeline's steps and the progress
 * kept between them, and the rules of phone numbers and time zones. Imports nothing of the
 * project, so every other folder imports it downward.
 * @module
 */
export { type Contact, type ContactState, type SkipReason, zonesOf } from "./contact.ts";
export {
  isCountry,
  numberParts,
  NumberPlan,
  type NumberType,
  type PlannedNumber,
} from "./number_plan.ts";
export {
  type CallProgress,
  type ContactProgress,
  type FinalCallStatus,
  holdsPhone,
  type SavedAudio,
  type ScriptRejections,
  type ScriptRule,
  type ScriptSource,
  settleEstimate,
  type StepSpend,
  totalSpend,
} from "./progress.ts";
export { serviceOf, type Step, type StepAttempts } from "./steps.ts";
export { isE164, toE164 } from "./phone_number.ts";
export {
  calendarDay,
  isTimeZone,
  type LocalTime,
  localTime,
  nextMidnight,
  zonedInstant,
} from "./time_zone.ts";
