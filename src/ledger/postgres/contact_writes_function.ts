/**
 * The PostgreSQL function that applies a batch of contact writes (steps, dials, ends) in one
 * call, so a process's writes of one turn cost one round trip. It does what the stores did
 * write by write, in one transaction:
 * - the numbers dialled in the batch are locked first, in one order (two batches never wait on
 *   each other in a cycle), under the lock a dial of an earlier release took too; each dial is
 *   then decided with a fresh look at the ledger (each statement of a PL/pgSQL function reads
 *   what was committed before it): `called-before` (call-once) first, then `phone-busy`; a
 *   refused dial saves the rest of its write without the call;
 * - one statement changes every contact whose lease `p_owner` holds, and adds the cost of the
 *   writes that changed their contact to the campaign's spend of its day, once per day for the
 *   batch (the shared row is held the shortest time).
 * Returns one row per write: its index, `saved`, `lease-lost`, `called-before` or `phone-busy`,
 * and the other contact for a refusal; and with `p_read_states`, every service's shared state
 * (read after the writes: a row of index -1, `service-states`, their JSON).
 */
export function applyContactWrites(phoneLock: number): string {
  return `
CREATE OR REPLACE FUNCTION apply_contact_writes(p_owner TEXT, p_writes JSONB,
  p_read_states BOOLEAN)
RETURNS TABLE (ord INTEGER, outcome TEXT, other_campaign TEXT, other_id TEXT)
LANGUAGE plpgsql
-- A batch is a few contacts, found by their keys: never a scan of the campaign (the planner
-- guesses a hundred rows for a JSON array, and would hash the whole table for them). No JIT:
-- the costs that keep the planner off scans would have it compile the tiny reads.
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off
AS $fn$
#variable_conflict use_column
DECLARE
  d RECORD;
  v_refused INTEGER[] := '{}';
  v_outcomes TEXT[] := '{}';
  v_campaigns TEXT[] := '{}';
  v_ids TEXT[] := '{}';
  v_other_campaign TEXT;
  v_other_id TEXT;
  v_taken TEXT[] := '{}';
  v_taken_by TEXT[] := '{}';
  v_taken_in TEXT[] := '{}';
BEGIN
  PERFORM pg_advisory_xact_lock(numbers.h) FROM (
    SELECT DISTINCT hashtextextended(c.phone, ${phoneLock}) AS h
    FROM jsonb_array_elements(p_writes) x
    JOIN contacts c ON c.campaign = x->>'campaign' AND c.id = x->>'id'
    WHERE x->>'dial' IS NOT NULL ORDER BY 1) numbers;
  FOR d IN
    SELECT (x.n - 1)::int AS i, x.v->>'campaign' AS campaign, x.v->>'id' AS id,
      x.v->>'dial' AS dial, x.v->>'action' AS action, c.phone
    FROM jsonb_array_elements(p_writes) WITH ORDINALITY x(v, n)
    JOIN contacts c ON c.campaign = x.v->>'campaign' AND c.id = x.v->>'id'
    WHERE x.v->>'dial' IS NOT NULL
    ORDER BY x.n
  LOOP
    v_other_id := NULL;
    v_other_campaign := NULL;
    IF d.dial = 'call-once' THEN
      SELECT c.id INTO v_other_id FROM contacts c
      WHERE c.phone = d.phone AND c.campaign = d.campaign AND c.id <> d.id
        AND c.call_progress IS NOT NULL AND (c.call_progress::json->>'dials')::int > 0
      ORDER BY c.seq LIMIT 1;
      IF v_other_id IS NOT NULL THEN
        v_refused := v_refused || d.i;
        v_outcomes := v_outcomes || 'called-before'::text;
        v_campaigns := v_campaigns || d.campaign;
        v_ids := v_ids || v_other_id;
        CONTINUE;
      END IF;
    END IF;
    SELECT c.campaign, c.id INTO v_other_campaign, v_other_id FROM contacts c
    WHERE c.dialing_phone = d.phone AND NOT (c.campaign = d.campaign AND c.id = d.id) LIMIT 1;
    IF v_other_id IS NULL AND d.phone = ANY(v_taken) THEN
      -- An earlier dial of this batch takes the number.
      v_other_campaign := v_taken_in[array_position(v_taken, d.phone)];
      v_other_id := v_taken_by[array_position(v_taken, d.phone)];
    END IF;
    IF v_other_id IS NULL AND d.action = 'take' THEN
      v_taken := v_taken || d.phone;
      v_taken_by := v_taken_by || d.id;
      v_taken_in := v_taken_in || d.campaign;
    END IF;
    IF v_other_id IS NOT NULL THEN
      v_refused := v_refused || d.i;
      v_outcomes := v_outcomes || 'phone-busy'::text;
      v_campaigns := v_campaigns || v_other_campaign;
      v_ids := v_ids || v_other_id;
    END IF;
  END LOOP;
  RETURN QUERY
  WITH w AS (
    SELECT (x.n - 1)::int AS i, r.*
    FROM jsonb_array_elements(p_writes) WITH ORDINALITY x(v, n),
      jsonb_to_record(x.v) AS r(campaign TEXT, id TEXT, now BIGINT, state TEXT, step TEXT,
        set_reason BOOLEAN, reason TEXT, script TEXT, script_by TEXT, script_rejections TEXT,
        spend TEXT, audio TEXT, call TEXT, crm_record_id TEXT, attempts TEXT, action TEXT,
        deferred_service TEXT, defer_until BIGINT, cost_amount FLOAT8, cost_day TEXT)
  ), changed AS (
    UPDATE contacts c SET
      state = COALESCE(w.state, c.state),
      step = COALESCE(w.step, c.step),
      reason = CASE WHEN w.set_reason THEN w.reason ELSE c.reason END,
      script = COALESCE(w.script, c.script),
      script_by = COALESCE(w.script_by, c.script_by),
      script_rejections = COALESCE(w.script_rejections, c.script_rejections),
      spend = COALESCE(w.spend, c.spend),
      audio = COALESCE(w.audio, c.audio),
      call_progress = CASE WHEN w.i = ANY(v_refused) THEN c.call_progress
        ELSE COALESCE(w.call, c.call_progress) END,
      crm_record_id = COALESCE(w.crm_record_id, c.crm_record_id),
      attempts = COALESCE(w.attempts, c.attempts),
      dialing_phone = CASE WHEN w.i = ANY(v_refused) THEN c.dialing_phone
        WHEN w.action = 'take' THEN c.phone WHEN w.action = 'let-go' THEN NULL
        ELSE c.dialing_phone END,
      deferred_service = COALESCE(w.deferred_service, c.deferred_service),
      defer_until = COALESCE(w.defer_until, c.defer_until),
      deferrals = c.deferrals + CASE WHEN w.state = 'deferred' THEN 1 ELSE 0 END,
      lease_owner = CASE WHEN w.state IS NULL THEN c.lease_owner END,
      lease_until = CASE WHEN w.state IS NULL THEN c.lease_until END,
      updated_at = w.now
    FROM w WHERE c.campaign = w.campaign AND c.id = w.id
      -- Held by this process, checked on the row its key finds. (As a CASE, which no index
      -- answers: given "state = 'in_progress'", the planner reads the whole by-state index,
      -- dead entries and all, once per batch.)
      AND CASE WHEN c.state = 'in_progress' THEN c.lease_owner = p_owner ELSE false END
    RETURNING w.i, w.campaign, w.cost_day, w.cost_amount
  ), spent AS (
    INSERT INTO spend_by_day AS s (campaign, day, amount)
    SELECT changed.campaign, changed.cost_day, SUM(changed.cost_amount) FROM changed
    WHERE changed.cost_day IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (campaign, day) DO UPDATE SET amount = s.amount + EXCLUDED.amount
  )
  SELECT w.i,
    CASE WHEN changed.i IS NULL THEN 'lease-lost'
      WHEN w.i = ANY(v_refused) THEN v_outcomes[array_position(v_refused, w.i)]
      ELSE 'saved' END,
    CASE WHEN changed.i IS NOT NULL THEN v_campaigns[array_position(v_refused, w.i)] END,
    CASE WHEN changed.i IS NOT NULL THEN v_ids[array_position(v_refused, w.i)] END
  FROM w LEFT JOIN changed ON changed.i = w.i;
  IF p_read_states THEN
    RETURN QUERY SELECT -1, 'service-states', NULL::text, COALESCE(json_agg(json_build_object(
      'service', s.service, 'open_until', s.open_until, 'forced', s.forced, 'reason', s.reason,
      'by', s.by, 'at', s.at)), '[]')::text
    FROM service_states s;
  END IF;
END
$fn$;`;
}
