import type { CallScript, CampaignSettings } from "../services/mod.ts";
import { splitVoicemail } from "../services/mod.ts";
import type { Tracing } from "../tracing/mod.ts";
import type { ContactCosts } from "./contact_costs.ts";
import {
  checkScript,
  type ScriptChecks,
  ScriptRejected,
  type ScriptRejection,
} from "./script_checks.ts";
import type { ContactRun, StepEvent } from "./step_events.ts";

/** Scripts one provider is asked for, per contact and pass of the chain, before the next
 * provider is: a rejected script is asked again once. */
const scriptAsksPerProvider = 2;

/** How the script step asks its chain: each provider in turn through its call path, `served`
 * deciding what an answer is worth (see `throughChain`). */
export type AskChain = (
  run: ContactRun,
  served: (provider: string, ask: () => Promise<CallScript>) => Promise<CallScript>,
) => Promise<{ value: CallScript; provider: string }>;

/**
 * The script step: the first provider of the chain that writes a script the checks pass, kept
 * with the voicemail written with it (when the campaign leaves one). A script the checks reject
 * is paid for (its cost and the rule kept in the ledger at once), never voiced, and asked for
 * again once; a second one rejected moves the chain to its next provider. Nothing is voiced or
 * called before a script passes.
 */
export class ScriptStep {
  constructor(
    readonly deps: {
      campaign: CampaignSettings;
      checks: ScriptChecks;
      costs: ContactCosts;
      tracing: Tracing;
      emit: (event: StepEvent) => void;
      askChain: AskChain;
    },
  ) {}

  /** Writes `run`'s script into its progress and saves it; resolves with who wrote it and what
   * it cost. */
  async write(run: ContactRun): Promise<{ provider: string; cost: number }> {
    const { progress } = run;
    const { costs, campaign } = this.deps;
    await costs.mayPay(progress);
    const { value: written, provider } = await this.deps.askChain(
      run,
      (name, ask) => this.#checked(run, name, ask),
    );
    const { message, voicemail } = splitVoicemail(written.text);
    progress.script = {
      text: message,
      by: {
        provider,
        ...(written.model ? { model: written.model } : {}),
        // A campaign that leaves voicemails has one: the model's, or the message itself.
        ...(campaign.answeringMachine === "voicemail" ? { voicemail: voicemail ?? message } : {}),
      },
    };
    const cost = costs.script(progress, provider, written);
    await run.saveStep("llm", progress);
    return { provider, cost };
  }

  /** A script of `provider`'s that the checks pass; a second one rejected throws
   * {@link ScriptRejected}. */
  async #checked(
    run: ContactRun,
    provider: string,
    ask: () => Promise<CallScript>,
  ): Promise<CallScript> {
    const { checks, costs } = this.deps;
    for (let asked = 1;; asked++) {
      const script = await ask();
      // A voicemail written with the message is held to the same rules.
      const { message, voicemail } = splitVoicemail(script.text);
      const rejection = checkScript({ ...script, text: message }, checks) ??
        (voicemail === undefined ? undefined : checkScript({ text: voicemail }, checks));
      if (!rejection) return script;
      await this.#rejected(run, provider, script, rejection, asked);
      if (asked >= scriptAsksPerProvider) throw new ScriptRejected(provider, rejection);
      await costs.mayPay(run.progress); // asking again is paid too
    }
  }

  /** Keeps what a rejected script cost and why it was rejected, and tells of it. */
  async #rejected(
    run: ContactRun,
    provider: string,
    script: CallScript,
    { rule, detail }: ScriptRejection,
    asked: number,
  ): Promise<void> {
    const { progress } = run;
    const cost = this.deps.costs.script(progress, provider, script);
    progress.scriptRejections = {
      ...progress.scriptRejections,
      [rule]: (progress.scriptRejections?.[rule] ?? 0) + 1,
    };
    await run.saveStep("llm", progress);
    this.deps.tracing.event("script rejected", {
      "ai_call_agent.provider": provider,
      "ai_call_agent.script.rule": rule,
    });
    this.deps.emit({
      type: "script-rejected",
      contactId: run.contact.id,
      provider,
      rule,
      detail,
      asked,
      ...(cost ? { cost } : {}),
    });
  }
}
