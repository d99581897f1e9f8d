/**
 * One flat record per thing that happened, merged from every component: the simulation's
 * narrative, `--json` output and the logs are all views of this stream. `t` is clock time
 * since the run started.
 */
export interface AgentEvent {
  t: number;
  type:
    | "attempt"
    | "retry"
    | "give-up"
    | "breaker"
    | "health"
    | "run-start"
    | "resumed"
    | "released"
    | "contact-start"
    | "step-done"
    | "contact-done"
    | "waiting-for-recovery"
    | "recovery-wait-over"
    | "deadline-passed"
    | "alert"
    | "service-call"
    | "provider-requests"
    | "sheets"
    | "summary"
    | "invariant-violated";
  service?: string;
  services?: string[];
  contactId?: string;
  attempt?: number;
  delayMs?: number;
  retryAfterMs?: number;
  from?: string;
  to?: string;
  reason?: string;
  errorClass?: string;
  status?: string;
  step?: string;
  pass?: number;
  contacts?: number;
  latencyMs?: number;
  severity?: string;
  key?: string;
  summary?: string;
  channel?: string;
  delivered?: boolean;
  recovered?: boolean;
  reused?: boolean;
  result?: string;
  [field: string]: unknown;
}
