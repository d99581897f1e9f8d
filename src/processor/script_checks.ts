import type { ScriptRule } from "../domain/mod.ts";
import type { CallScript } from "../services/mod.ts";

/** The rules in the order a script is checked: the first that fails names the rejection. */
export const scriptRules: readonly ScriptRule[] = [
  "refusal",
  "empty",
  "unfinished",
  "placeholder",
  "tooLong",
];

/** Which checks run, and the longest script voiced; defaults live in `config/defaults.ts`. */
export interface ScriptChecks {
  /** Each rule on (`true`) or off. */
  reject: Readonly<Record<ScriptRule, boolean>>;
  /** Longest script voiced, in characters (the `tooLong` rule). */
  maxCharacters: number;
}

/** Why a script is not voiced: the rule it broke, and what broke it (a placeholder, the stop
 * reason, the start of a refusal), short enough for a log line. */
export interface ScriptRejection {
  rule: ScriptRule;
  detail: string;
}

/** Stop reasons that say the model finished its answer (OpenAI's `stop`, Anthropic's
 * `end_turn` and `stop_sequence`). */
const finished = new Set(["stop", "end_turn", "stop_sequence"]);
/** Stop reasons that say the provider or the model declined (OpenAI's `content_filter`,
 * Anthropic's `refusal`). */
const declined = new Set(["content_filter", "refusal"]);
/** Stop reasons that say the answer was cut at the token limit. */
const cutOff = new Set(["length", "max_tokens", "model_context_window_exceeded"]);

/** How models decline, at the start of their answer: an apology followed by a can't, a
 * can't-help, or the language model's disclaimer (a script that says it is an AI assistant
 * calling is not one). */
const refusalPatterns = [
  /^\W*(?:I['’]?m sorry|I am sorry|sorry|I apologi[sz]e)\b[^.!?\n]{0,80}?\b(?:can(?:not|['’]t)|unable|won['’]t|not able|will not)\b/i,
  /^\W*I\s+(?:can(?:not|['’]t)|won['’]t|will not|am unable to|['’]m unable to|am not able to)\s+(?:help|assist|write|create|provide|comply|fulfil|do that|generate|produce)/i,
  /\bas an AI language model\b/i,
];

/** Template slots models leave unfilled: `[Your Name]`, `{company}`, `{{date}}`, `<date>`,
 * a blank `____`. An SSML tag has attributes or a slash, and is not taken for one. */
const placeholderPatterns = [
  /\[[^\]\n]{1,40}\]/,
  /\{\{?[^{}\n]{1,40}\}\}?/,
  /<[A-Za-z][A-Za-z0-9 _-]{0,39}>/,
  /_{3,}/,
];

/**
 * Why `script` should not be voiced and called, or undefined when it may be: the first rule it
 * breaks, of those `checks` turns on. Pure: the same script and checks always give the same
 * answer. A stop reason the provider did not give is not held against the script.
 */
export function checkScript(
  script: CallScript,
  checks: ScriptChecks,
): ScriptRejection | undefined {
  for (const rule of scriptRules) {
    if (!checks.reject[rule]) continue;
    const detail = broken(rule, script, checks);
    if (detail !== undefined) return { rule, detail };
  }
  return undefined;
}

/** What in `script` breaks `rule`, or undefined when it keeps it. */
function broken(rule: ScriptRule, script: CallScript, checks: ScriptChecks): string | undefined {
  const text = script.text.trim();
  const reason = script.finishReason;
  switch (rule) {
    case "empty":
      return text === "" ? `an empty answer${reason ? ` (stop reason ${reason})` : ""}` : undefined;
    case "refusal": {
      if (script.refusal?.trim()) return `the model refused: ${excerpt(script.refusal)}`;
      if (reason && declined.has(reason)) return `stop reason ${reason}`;
      const refused = refusalPatterns.some((pattern) => pattern.test(text));
      return refused ? `reads as a refusal: ${excerpt(text)}` : undefined;
    }
    case "unfinished":
      if (reason === undefined || finished.has(reason)) return undefined;
      return cutOff.has(reason)
        ? `cut off at the model's token limit (stop reason ${reason})`
        : `the model did not finish (stop reason ${reason})`;
    case "placeholder": {
      for (const pattern of placeholderPatterns) {
        const found = pattern.exec(text);
        if (found) return `an unfilled placeholder ${found[0]}`;
      }
      return undefined;
    }
    case "tooLong":
      return text.length > checks.maxCharacters
        ? `${text.length} characters, more than script.maxCharacters (${checks.maxCharacters})`
        : undefined;
  }
}

/** The start of `text` on one line, at most 60 characters. */
function excerpt(text: string): string {
  const line = text.trim().replace(/\s+/g, " ");
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 57)}...` : line);
}

/** Every script a chain's providers wrote for a contact was rejected: it is not called. */
export class ScriptRejected extends Error {
  constructor(readonly provider: string, readonly rejection: ScriptRejection) {
    super(`${provider}: ${rejection.rule}: ${rejection.detail}`);
    this.name = "ScriptRejected";
  }
}
