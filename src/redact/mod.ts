/**
 * Secrets kept out of text: token patterns and known secret values removed from messages and
 * log lines. A leaf: the HTTP core and the log configuration both use it, and it uses neither.
 * @module
 */
export { redactText, secretFieldPatterns, secretTextPatterns } from "./redact.ts";
