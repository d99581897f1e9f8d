import postgres from "postgres";
import {
  type Attempts,
  callSidsOf,
  type CampaignStore,
  type ContactRecord,
  crmIdempotencyKey,
  type Deferral,
  type DialRefusal,
  type DialTurns,
  type DoNotCallList,
  emptyCounts,
  type FiringAlerts,
  type InvalidRow,
  LeaseLostError,
  type LeaseOptions,
  type LoadResult,
  type LoadSource,
  type Outbox,
  type SamePhoneRule,
  type SharedState,
  type StateCounts,
  type StepOutputs,
} from "../campaign_store.ts";
import {
  type ContactRow,
  estimatedCallOf,
  invalidRowOf,
  type InvalidRowRow,
  recordOf,
} from "../_sql_rows.ts";
import { settleEstimate, type StepSpend, totalSpend } from "../../domain/mod.ts";
import { LedgerError } from "../sqlite/schema.ts";
import {
  type CallProgress,
  type Contact,
  type ContactState,
  holdsPhone,
} from "../../domain/mod.ts";
import { migrate, schemaLock } from "./migrations.ts";
import { PostgresDialTurns } from "./postgres_dial_turns.ts";
import { PostgresDoNotCallList } from "./postgres_do_not_call.ts";
import { PostgresFiringAlerts } from "./postgres_firing_alerts.ts";
import { PostgresOutbox } from "./postgres_outbox.ts";
import { PostgresSharedState } from "./postgres_shared_state.ts";

type Row = ContactRow;

type Sql = postgres.Sql;

/**
 * The ledger in PostgreSQL, for several agent processes on one or more machines working one
 * campaign. Claims take batches with `FOR UPDATE SKIP LOCKED` (two processes never take the
 * same contact), as leases: a contact in progress is held by its claimer until its lease
 * expires, every write on it is refused to anyone else, and a crashed process's contacts are
 * taken over once their leases run out. Also shares what processes must agree on: each
 * service's state, who sends each alert, and who drains each outbox. Create it with
 * {@link PostgresCampaignStore.open}, which creates or migrates the schema.
 */
export class PostgresCampaignStore implements CampaignStore {
  readonly outbox: Outbox;
  readonly shared: SharedState;
  readonly doNotCall: DoNotCallList;
  readonly dialTurns: DialTurns;
  readonly firingAlerts: FiringAlerts;
  readonly lease: LeaseOptions;
  readonly #sql: Sql;
  #closed = false;

  private constructor(sql: Sql, lease: LeaseOptions) {
    this.#sql = sql;
    this.lease = lease;
    this.outbox = new PostgresOutbox(sql, lease.owner);
    this.shared = new PostgresSharedState(sql, lease.owner);
    this.doNotCall = new PostgresDoNotCallList(sql);
    this.dialTurns = new PostgresDialTurns(sql);
    this.firingAlerts = new PostgresFiringAlerts(sql);
  }

  /**
   * Connects to `url` and brings the schema up to date (one process at a time). Throws a
   * {@link LedgerError} naming what is wrong (unreachable, refused, not our schema's version)
   * without the URL's password.
   */
  static async open(
    url: string,
    lease: LeaseOptions,
    options: { max?: number } = {},
  ): Promise<PostgresCampaignStore> {
    const sql = postgres(url, {
      max: options.max ?? 4,
      onnotice: () => {},
      connect_timeout: 10,
      // The process's own time zone and application name, for operators reading pg_stat_activity.
      connection: { application_name: "ai-call-agent" },
    });
    try {
      await migrate(sql);
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => {});
      if (error instanceof LedgerError) throw error;
      throw new LedgerError(
        `the PostgreSQL ledger cannot be used: ${withoutSecrets(error, url)}`,
        { cause: error },
      );
    }
    return new PostgresCampaignStore(sql, lease);
  }

  async ensureCampaign(campaign: string, now: number): Promise<void> {
    await this.#sql`INSERT INTO campaigns (name, created_at) VALUES (${campaign}, ${now})
      ON CONFLICT (name) DO NOTHING`;
  }

  async addContacts(
    campaign: string,
    contacts: readonly Contact[],
    now: number,
    load?: LoadSource,
  ): Promise<LoadResult> {
    if (contacts.length === 0) return { added: 0, alreadyLoaded: 0, duplicates: [] };
    const ids = contacts.map((contact) => contact.id);
    const lines = contacts.map((_, index) => load?.lines[index] ?? null);
    const inserted = await this.#sql<{ id: string }[]>`
      INSERT INTO contacts (campaign, id, seq, contact, state, crm_key, load_id, source_line,
        phone, updated_at)
      SELECT ${campaign}, c.id, nextval('contact_seq'), c.contact, 'pending', c.crm_key,
        ${load?.id ?? null}, c.line, c.phone, ${now}
      FROM unnest(${ids}::text[], ${contacts.map((c) => JSON.stringify(c))}::text[],
        ${ids.map((id) => crmIdempotencyKey(campaign, id))}::text[], ${lines}::int[],
        ${contacts.map((c) => c.phone)}::text[])
        WITH ORDINALITY AS c(id, contact, crm_key, line, phone, ord)
      ORDER BY c.ord
      ON CONFLICT (campaign, id) DO NOTHING
      RETURNING id`;
    // As in every store: a contact whose id this load added earlier in the file is a duplicate
    // (named with the line it first came from); one an earlier load added is already loaded.
    const added = new Set(inserted.map((row) => row.id));
    const firstSeen = new Set<string>();
    const repeats: number[] = [];
    for (const [index, id] of ids.entries()) {
      if (!added.has(id) || firstSeen.has(id)) repeats.push(index);
      firstSeen.add(id);
    }
    const duplicates: LoadResult["duplicates"] = [];
    if (repeats.length > 0 && load) {
      const lookup = [...new Set(repeats.map((index) => ids[index]))];
      const rows = new Map(
        (await this.#sql<{ id: string; load_id: string | null; source_line: number | null }[]>`
          SELECT id, load_id, source_line FROM contacts
          WHERE campaign = ${campaign} AND id = ANY(${lookup}::text[])`)
          .map((row) => [row.id, row]),
      );
      for (const index of repeats) {
        const first = rows.get(ids[index]);
        if (first?.load_id === load.id) {
          duplicates.push({ index, firstLine: first.source_line ?? undefined });
        }
      }
    }
    return {
      added: inserted.length,
      alreadyLoaded: contacts.length - inserted.length - duplicates.length,
      duplicates,
    };
  }

  async addInvalid(campaign: string, rows: readonly InvalidRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#sql`
      INSERT INTO invalid_rows (campaign, source, line, contact_id, reason)
      SELECT ${campaign}, r.source, r.line, r.id, r.reason
      FROM unnest(${rows.map((r) => r.source)}::text[], ${rows.map((r) => r.line)}::int[],
        ${rows.map((r) => r.id ?? null)}::text[], ${rows.map((r) => r.reason)}::text[])
        AS r(source, line, id, reason)
      ON CONFLICT DO NOTHING`;
  }

  /** Contacts whose lease expired: their holder is gone (a live one renews its leases). */
  async resumeInterrupted(campaign: string, now: number): Promise<number> {
    const result = await this.#sql`
      UPDATE contacts SET state = 'pending', lease_owner = NULL, lease_until = NULL,
        updated_at = ${now}
      WHERE campaign = ${campaign} AND state = 'in_progress' AND lease_until < ${now}`;
    return result.count;
  }

  async claimNext(campaign: string, now: number): Promise<ContactRecord | undefined> {
    return (await this.claim(campaign, now, 1))[0];
  }

  async claim(campaign: string, now: number, limit: number): Promise<ContactRecord[]> {
    const { owner, ms } = this.lease;
    const rows = await this.#sql<Row[]>`
      WITH expired AS MATERIALIZED (
        SELECT id, seq FROM contacts
        WHERE campaign = ${campaign} AND state = 'in_progress' AND lease_until < ${now}
        ORDER BY seq LIMIT ${limit} FOR UPDATE SKIP LOCKED
      ), waiting AS MATERIALIZED (
        SELECT id, seq FROM contacts
        WHERE campaign = ${campaign} AND state = 'pending'
        ORDER BY seq LIMIT ${limit} FOR UPDATE SKIP LOCKED
      ), picked AS MATERIALIZED (
        SELECT id FROM (SELECT * FROM expired UNION ALL SELECT * FROM waiting) p
        ORDER BY seq LIMIT ${limit}
      )
      UPDATE contacts c SET state = 'in_progress', lease_owner = ${owner},
        lease_until = ${now + ms}, updated_at = ${now}
      FROM picked WHERE c.campaign = ${campaign} AND c.id = picked.id
      RETURNING c.*`;
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(recordOf);
  }

  async renewLeases(
    campaign: string,
    contactIds: readonly string[],
    now: number,
  ): Promise<string[]> {
    if (contactIds.length === 0) return [];
    const renewed = await this.#sql<{ id: string }[]>`
      UPDATE contacts SET lease_until = ${now + this.lease.ms}
      WHERE campaign = ${campaign} AND id = ANY(${contactIds as string[]}::text[])
        AND state = 'in_progress' AND lease_owner = ${this.lease.owner}
      RETURNING id`;
    const kept = new Set(renewed.map((row) => row.id));
    return contactIds.filter((id) => !kept.has(id));
  }

  async nextLeaseExpiry(campaign: string): Promise<number | undefined> {
    const [row] = await this.#sql`
      SELECT MIN(lease_until) AS at FROM contacts
      WHERE campaign = ${campaign} AND state = 'in_progress'`;
    return row.at === null ? undefined : Number(row.at);
  }

  async unclaim(campaign: string, contactIds: readonly string[], now: number): Promise<void> {
    if (contactIds.length === 0) return;
    await this.#sql`
      UPDATE contacts SET state = 'pending', lease_owner = NULL, lease_until = NULL,
        updated_at = ${now}
      WHERE campaign = ${campaign} AND id = ANY(${contactIds as string[]}::text[])
        AND state = 'in_progress' AND lease_owner = ${this.lease.owner}`;
  }

  async saveStep(
    campaign: string,
    contactId: string,
    step: string,
    outputs: StepOutputs,
    now: number,
    attempts?: Attempts,
    dial?: SamePhoneRule,
  ): Promise<DialRefusal | undefined> {
    const save = (sql: Sql | postgres.TransactionSql, call: CallProgress | undefined) => {
      const action = !call ? "keep" : !holdsPhone(call) ? "let-go" : dial ? "take" : "keep";
      return sql`
        UPDATE contacts SET step = ${step}, script = COALESCE(${outputs.script ?? null}, script),
          script_by = COALESCE(${json(outputs.scriptBy)}, script_by),
          script_rejections = COALESCE(${json(outputs.scriptRejections)}, script_rejections),
          spend = COALESCE(${json(outputs.spend)}, spend),
          audio = COALESCE(${json(outputs.audio)}, audio),
          call_progress = COALESCE(${json(call)}, call_progress),
          crm_record_id = COALESCE(${outputs.crmRecordId ?? null}, crm_record_id),
          attempts = COALESCE(${json(attempts)}, attempts),
          dialing_phone = CASE ${action}::text WHEN 'take' THEN phone WHEN 'let-go' THEN NULL
            ELSE dialing_phone END,
          updated_at = ${now}
        WHERE campaign = ${campaign} AND id = ${contactId} AND state = 'in_progress'
          AND lease_owner = ${this.lease.owner}`;
    };
    if (!dial && !outputs.cost) {
      await this.#leased(contactId, "saving a step", save(this.#sql, outputs.call));
      return undefined;
    }
    if (!dial) {
      // The step's cost counts toward the campaign's caps in the same transaction.
      await this.#sql.begin(async (tx) => {
        await this.#leased(contactId, "saving a step", save(tx, outputs.call));
        await addSpend(tx, campaign, outputs.cost!);
      });
      return undefined;
    }
    // A dial: decided under a lock on the number, so two processes deciding about one number
    // take turns (the unique index on dialing_phone would refuse a second holder anyway).
    return await this.#sql.begin(async (tx) => {
      const [row] = await tx<{ phone: string }[]>`
        SELECT phone FROM contacts WHERE campaign = ${campaign} AND id = ${contactId}`;
      if (!row) throw new LeaseLostError(contactId, "saving a step");
      await tx`SELECT pg_advisory_xact_lock(hashtextextended(${row.phone}, ${schemaLock}))`;
      const refusal = await dialRefusal(tx, campaign, contactId, row.phone, dial);
      await this.#leased(contactId, "saving a step", save(tx, refusal ? undefined : outputs.call));
      if (outputs.cost) await addSpend(tx, campaign, outputs.cost);
      return refusal;
    });
  }

  async complete(
    campaign: string,
    contactId: string,
    crmRecordId: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    await this.#leased(
      contactId,
      "completing",
      this.#sql`
        UPDATE contacts SET state = 'completed', step = 'done', crm_record_id = ${crmRecordId},
          reason = NULL, attempts = COALESCE(${json(attempts)}, attempts),
          call_progress = COALESCE(${json(call)}, call_progress), dialing_phone = NULL,
          lease_owner = NULL, lease_until = NULL, updated_at = ${now}
        WHERE campaign = ${campaign} AND id = ${contactId} AND state = 'in_progress'
          AND lease_owner = ${this.lease.owner}`,
    );
  }

  async fail(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    await this.#leased(
      contactId,
      "failing",
      this.#sql`
        UPDATE contacts SET state = 'failed', reason = ${reason},
          attempts = COALESCE(${json(attempts)}, attempts),
          call_progress = COALESCE(${json(call)}, call_progress), dialing_phone = NULL,
          lease_owner = NULL, lease_until = NULL, updated_at = ${now}
        WHERE campaign = ${campaign} AND id = ${contactId} AND state = 'in_progress'
          AND lease_owner = ${this.lease.owner}`,
    );
  }

  async skip(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    crmRecordId?: string,
  ): Promise<void> {
    await this.#leased(
      contactId,
      "skipping",
      this.#sql`
        UPDATE contacts SET state = 'skipped', step = 'done', reason = ${reason},
          crm_record_id = COALESCE(${crmRecordId ?? null}, crm_record_id),
          attempts = COALESCE(${json(attempts)}, attempts), dialing_phone = NULL,
          lease_owner = NULL, lease_until = NULL, updated_at = ${now}
        WHERE campaign = ${campaign} AND id = ${contactId} AND state = 'in_progress'
          AND lease_owner = ${this.lease.owner}`,
    );
  }

  async defer(
    campaign: string,
    contactId: string,
    deferral: Deferral,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    const letGo = call !== undefined && !holdsPhone(call);
    await this.#leased(
      contactId,
      "deferring",
      this.#sql`
        UPDATE contacts SET state = 'deferred', deferred_service = ${deferral.service},
          defer_until = ${deferral.until}, deferrals = deferrals + 1, reason = ${deferral.reason},
          attempts = COALESCE(${json(attempts)}, attempts),
          call_progress = COALESCE(${json(call)}, call_progress),
          dialing_phone = CASE WHEN ${letGo} THEN NULL ELSE dialing_phone END, lease_owner = NULL,
          lease_until = NULL, updated_at = ${now}
        WHERE campaign = ${campaign} AND id = ${contactId} AND state = 'in_progress'
          AND lease_owner = ${this.lease.owner}`,
    );
  }

  async releaseDeferred(
    campaign: string,
    service: string,
    now: number,
    limit = -1,
  ): Promise<number> {
    // A materialized pick: an IN (subquery with LIMIT) may be evaluated more than once.
    const result = await this.#sql`
      WITH picked AS MATERIALIZED (
        SELECT id FROM contacts WHERE campaign = ${campaign} AND state = 'deferred'
          AND deferred_service = ${service} AND defer_until <= ${now}
        ORDER BY seq LIMIT ${limit < 0 ? null : limit} FOR UPDATE SKIP LOCKED)
      UPDATE contacts c SET state = 'pending', updated_at = ${now}
      FROM picked WHERE c.campaign = ${campaign} AND c.id = picked.id`;
    return result.count;
  }

  async deferredServices(campaign: string): Promise<string[]> {
    const rows = await this.#sql<{ service: string }[]>`
      SELECT DISTINCT deferred_service AS service FROM contacts
      WHERE campaign = ${campaign} AND state = 'deferred'`;
    return rows.map((row) => row.service);
  }

  async estimatedCallPrices(
    campaign: string,
  ): Promise<{ contactId: string; sid: string; estimate: number }[]> {
    const rows = await this.#sql<{ id: string; call_progress: string }[]>`
      SELECT id, call_progress FROM contacts
      WHERE campaign = ${campaign} AND call_progress LIKE ${'%"estimate":{%'}`;
    return rows.flatMap((row) => estimatedCallOf(row) ?? []);
  }

  async settleCallPrice(campaign: string, contactId: string, price: number): Promise<boolean> {
    // Under the row's lock: two processes settling one call change it once.
    return await this.#sql.begin(async (tx) => {
      const [row] = await tx<{ call_progress: string | null; spend: string | null }[]>`
        SELECT call_progress, spend FROM contacts
        WHERE campaign = ${campaign} AND id = ${contactId} FOR UPDATE`;
      const settled = row && settleEstimate(
        row.call_progress ? JSON.parse(row.call_progress) : undefined,
        row.spend ? JSON.parse(row.spend) : undefined,
        price,
      );
      if (!settled) return false;
      await tx`
        UPDATE contacts SET call_progress = ${JSON.stringify(settled.call)},
          spend = ${JSON.stringify(settled.spend)}
        WHERE campaign = ${campaign} AND id = ${contactId}`;
      await addSpend(tx, campaign, { amount: settled.delta, day: settled.day });
      return true;
    });
  }

  async spendTotals(campaign: string, day: string): Promise<{ total: number; onDay: number }> {
    const [row] = await this.#sql`
      SELECT COALESCE(SUM(amount), 0) AS total,
        COALESCE(SUM(CASE WHEN day = ${day} THEN amount END), 0) AS on_day
      FROM spend_by_day WHERE campaign = ${campaign}`;
    return { total: Number(row.total), onDay: Number(row.on_day) };
  }

  async spendOf(campaign: string): Promise<StepSpend> {
    const rows = await this.#sql<{ spend: string }[]>`
      SELECT spend FROM contacts WHERE campaign = ${campaign} AND spend IS NOT NULL`;
    return totalSpend(rows.map((row) => JSON.parse(row.spend)));
  }

  async nextDeferredAt(campaign: string, after: number): Promise<number | undefined> {
    const [row] = await this.#sql`
      SELECT MIN(defer_until) AS at FROM contacts
      WHERE campaign = ${campaign} AND state = 'deferred' AND defer_until > ${after}`;
    return row.at === null ? undefined : Number(row.at);
  }

  async failRemaining(campaign: string, reason: string, now: number): Promise<number> {
    const result = await this.#sql`
      UPDATE contacts SET state = 'failed', reason = ${reason}, dialing_phone = NULL,
        updated_at = ${now}
      WHERE campaign = ${campaign} AND state IN ('pending', 'deferred')`;
    return result.count;
  }

  async counts(campaign: string): Promise<StateCounts> {
    const counts = emptyCounts();
    const rows = await this.#sql<{ state: ContactState; n: string }[]>`
      SELECT state, COUNT(*) AS n FROM contacts WHERE campaign = ${campaign} GROUP BY state`;
    for (const row of rows) counts[row.state] = Number(row.n);
    const [invalid] = await this.#sql`
      SELECT COUNT(*) AS n FROM invalid_rows WHERE campaign = ${campaign}`;
    counts.invalid += Number(invalid.n);
    return counts;
  }

  async recordedCalls(phone: string): Promise<string[]> {
    const rows = await this.#sql<{ call_progress: string }[]>`
      SELECT call_progress FROM contacts WHERE phone = ${phone} AND call_progress IS NOT NULL`;
    return rows.flatMap((row) => callSidsOf(JSON.parse(row.call_progress)));
  }

  async calledBefore(
    campaign: string,
    phone: string,
    contactId: string,
  ): Promise<string | undefined> {
    return await firstCaller(this.#sql, campaign, phone, contactId);
  }

  async invalidRows(campaign: string, limit = 1000): Promise<InvalidRow[]> {
    const rows = await this.#sql<InvalidRowRow[]>`
      SELECT source, line, contact_id, reason FROM invalid_rows WHERE campaign = ${campaign}
      ORDER BY source, line LIMIT ${limit}`;
    return rows.map(invalidRowOf);
  }

  async get(campaign: string, contactId: string): Promise<ContactRecord | undefined> {
    const [row] = await this.#sql<Row[]>`
      SELECT * FROM contacts WHERE campaign = ${campaign} AND id = ${contactId}`;
    return row ? recordOf(row) : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 5 });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A write that must change the contact: none changed means its lease is not ours. */
  async #leased(
    contactId: string,
    operation: string,
    write: PromiseLike<{ count: number }>,
  ): Promise<void> {
    if ((await write).count === 0) throw new LeaseLostError(contactId, operation);
  }
}

/** Why `contactId` may not dial `phone` now, if it may not (under the number's lock; a
 * call-once skip first: it is final, where a busy number only waits). */
async function dialRefusal(
  sql: postgres.TransactionSql,
  campaign: string,
  contactId: string,
  phone: string,
  rule: SamePhoneRule,
): Promise<DialRefusal | undefined> {
  if (rule === "call-once") {
    const first = await firstCaller(sql, campaign, phone, contactId);
    if (first) return { reason: "called-before", firstContactId: first };
  }
  const [holder] = await sql<{ campaign: string; id: string }[]>`
    SELECT campaign, id FROM contacts WHERE dialing_phone = ${phone}
      AND NOT (campaign = ${campaign} AND id = ${contactId}) LIMIT 1`;
  if (holder) {
    return { reason: "phone-busy", holder: { campaign: holder.campaign, contactId: holder.id } };
  }
  return undefined;
}

/** The first contact of `campaign` other than `contactId` (load order) that dialled `phone`. */
async function firstCaller(
  sql: Sql | postgres.TransactionSql,
  campaign: string,
  phone: string,
  contactId: string,
): Promise<string | undefined> {
  const [row] = await sql<{ id: string }[]>`
    SELECT id FROM contacts WHERE phone = ${phone} AND campaign = ${campaign}
      AND id <> ${contactId} AND call_progress IS NOT NULL
      AND (call_progress::json->>'dials')::int > 0
    ORDER BY seq LIMIT 1`;
  return row?.id;
}

/** Adds a step's cost to the campaign's spend on its day. */
async function addSpend(
  tx: postgres.TransactionSql,
  campaign: string,
  cost: { amount: number; day: string },
): Promise<void> {
  await tx`
    INSERT INTO spend_by_day (campaign, day, amount) VALUES (${campaign}, ${cost.day}, ${cost.amount})
    ON CONFLICT (campaign, day) DO UPDATE SET amount = spend_by_day.amount + EXCLUDED.amount`;
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** The error's message, with the connection URL and its password taken out. */
function withoutSecrets(error: unknown, url: string): string {
  let message = error instanceof Error ? error.message : String(error);
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // Not a URL the WHATWG parser reads (a key=value string): nothing to take out but itself.
  }
  for (const secret of [url, password]) {
    if (secret) message = message.replaceAll(secret, "[redacted]");
  }
  return message;
}
