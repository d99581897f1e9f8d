/**
 * Small collections the agent's long-lived parts share.
 * @module
 */
export { RecentMap } from "./recent_map.ts";
