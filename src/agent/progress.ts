import { getLogger } from "@logtape/logtape";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import type { CampaignStore } from "../ledger/mod.ts";
import { type Clock, every } from "../clock/mod.ts";

const logger = getLogger(["ai-call-agent", "progress"]);

/** What a progress line reads: the campaign's counts and the breakers' states. */
export interface ProgressSources {
  config: Pick<AgentConfig, "campaign">;
  store: CampaignStore;
  breakers: BreakerRegistry;
}

/** One progress line: done, failed, deferred, rate, ETA, breaker states. */
export async function progressLine(
  agent: ProgressSources,
  elapsedMs: number,
  doneAtStart: number,
): Promise<string> {
  const c = await agent.store.counts(agent.config.campaign.name);
  const done = c.completed + c.failed + c.skipped;
  const rate = elapsedMs > 0 ? (done - doneAtStart) / (elapsedMs / 1000) : 0;
  const left = c.pending + c.in_progress + c.deferred;
  const eta = rate > 0 ? `${Math.round(left / rate)}s` : "-";
  const breakers = agent.breakers.all().map((b) => `${b.service}:${b.state}`).join(" ");
  return `${done}/${
    done + left
  } done · ${c.completed} completed · ${c.failed} failed · ${c.deferred} deferred · ${
    c.skipped > 0 ? `${c.skipped} skipped · ` : ""
  }${rate.toFixed(1)}/s · ETA ${eta} · ${breakers}`;
}

/**
 * Reports progress every `intervalMs` until stopped: a live line rewritten in place on a
 * terminal, a log record otherwise.
 */
export function reportProgress(
  agent: ProgressSources,
  options: { intervalMs: number; terminal: boolean; write: (text: string) => void },
  clock: Clock,
): { stop(): Promise<void> } {
  const controller = new AbortController();
  const started = clock.now();
  const loop = (async () => {
    const counts = await agent.store.counts(agent.config.campaign.name);
    const doneAtStart = counts.completed + counts.failed + counts.skipped;
    await every(clock, options.intervalMs, async () => {
      const line = await progressLine(agent, clock.now() - started, doneAtStart);
      if (options.terminal) options.write(`\r\x1b[2K${line}`);
      else logger.info("progress: {line}", { line });
    }, { signal: controller.signal }).done;
    if (options.terminal) options.write("\r\x1b[2K");
  })();
  return {
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
