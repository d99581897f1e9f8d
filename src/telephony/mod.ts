/**
 * What placing calls needs besides the provider: calling hours, the public links a call hands
 * the provider (status callbacks, signed audio URLs), and the status changes it pushes back.
 * @module
 */
export { CallWindow } from "./call_window.ts";
export {
  audioPath,
  CallLinks,
  instructionsPath,
  optOutPath,
  statusCallbackPath,
} from "./call_links.ts";
export { CallUpdates } from "./call_updates.ts";
export { CallerIds } from "./caller_ids.ts";
export {
  type Answer,
  answerFor,
  isMachine,
  machineDetectionFor,
  type MachinePolicy,
  messageLeft,
  needsServedTwiml,
} from "./answering_machines.ts";
