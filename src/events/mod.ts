/**
 * Typed events: the {@link Emitter} every component announces its changes through.
 * @module
 */
export { Emitter, type Listener } from "./emitter.ts";
