/**
 * Time and randomness, injected: the {@link Clock} interface, the system clock, a virtual
 * clock for deterministic runs, deadlines, and a seeded random source.
 * @module
 */
export { type Clock, longestTimerMs, throwIfAborted } from "./clock.ts";
export { systemClock } from "./system_clock.ts";
export { VirtualClock, type VirtualClockOptions } from "./virtual_clock.ts";
export { type Random, seededRandom } from "./random.ts";
export { Deadlines } from "./deadlines.ts";
export { every, type Periodic } from "./every.ts";
export { type NetworkTurns, networkTurns } from "./network_turns.ts";
export { ioTrackedFetch } from "./io_tracked_fetch.ts";
