// The SQL of GDPR erasure (erase.ts). $-parameters only; match ids are lower-case text.
export const ERASE_SQL = {
  role: 'SELECT role FROM users WHERE id = $1::uuid',
  profile: 'SELECT email, first_name, last_name FROM users WHERE id = $1::uuid',
  profileEvents: `SELECT payload->'data'->>'email' AS email, payload->'data'->>'firstName' AS first_name,
      payload->'data'->>'lastName' AS last_name
    FROM buddy_system_events WHERE event_type IN ('buddy.user.registered', 'buddy.user.updated')
      AND lower(payload->'data'->>'userId') = ANY($1::text[])`,
  createTombstone: `WITH t AS (SELECT gen_random_uuid() AS id)
    INSERT INTO users (id, email, role, journey_flags) SELECT id, 'erased-' || id || '@' || $2, $1, '{}'::jsonb FROM t
    RETURNING id::text AS id`,
  reassignParticipant: 'UPDATE buddy_matches SET participant_id = $2::uuid WHERE participant_id = $1::uuid',
  reassignBuddy: 'UPDATE buddy_matches SET buddy_id = $2::uuid WHERE buddy_id = $1::uuid',
  reassignLearner: 'UPDATE kintell_sessions SET participant_id = $2::uuid WHERE participant_id = $1::uuid',
  reassignTeacher: 'UPDATE kintell_sessions SET volunteer_id = $2::uuid WHERE volunteer_id = $1::uuid',
  redactCheckins: `UPDATE buddy_checkins SET notes = NULL WHERE match_id::text = ANY($1::text[]) AND notes IS NOT NULL`,
  redactFeedback: `UPDATE buddy_feedback SET feedback_text = NULL
    WHERE match_id::text = ANY($1::text[]) AND feedback_text IS NOT NULL`,
  redactSessions: `UPDATE kintell_sessions SET feedback_text = NULL WHERE feedback_text IS NOT NULL
    AND (participant_id = $1::uuid OR volunteer_id = $1::uuid OR lower(metadata->>'match_id') = ANY($2::text[]))`,
  redactActivities: `UPDATE buddy_events SET description = NULL WHERE match_id::text = ANY($1::text[])
    AND metadata->>'source' = 'event.logged' AND description IS NOT NULL`,
  // Every text id of the person's matches and sessions, redacted now or before (idempotent).
  textIds: `SELECT id::text AS id FROM buddy_checkins WHERE match_id::text = ANY($2::text[])
    UNION SELECT id::text FROM buddy_feedback WHERE match_id::text = ANY($2::text[])
    UNION SELECT id::text FROM kintell_sessions
      WHERE participant_id = $1::uuid OR volunteer_id = $1::uuid OR lower(metadata->>'match_id') = ANY($2::text[])`,
  // The relay cursor's lock waits for a relay publishing now and keeps the others off until the erasure
  // commits: an unsent text is either dropped here or was acknowledged before (and is scrubbed below).
  dropUnsentTexts: `WITH c AS (SELECT tx, seq FROM outbox_cursor FOR UPDATE)
    DELETE FROM outbox o USING c WHERE (o.tx, o.seq) > (c.tx, c.seq)
      AND o.payload ? 'textId' AND o.payload->>'textId' = ANY($1::text[])`,
  scrubSentTexts: `UPDATE outbox SET payload = payload - 'text' || '{"redacted": true}'::jsonb
    WHERE payload ? 'text' AND payload->>'textId' = ANY($1::text[])`,
  clearEvidence: `UPDATE evidence_snippets SET snippet_text = NULL WHERE snippet_text IS NOT NULL
    AND outcome_score_id IN (SELECT id FROM outcome_scores WHERE text_id::text = ANY($1::text[]))`,
  reassignOutbox: `UPDATE outbox SET user_id = $2::uuid,
      payload = CASE WHEN payload->>'userId' = $1::uuid::text THEN jsonb_set(payload, '{userId}', to_jsonb($2::text)) ELSE payload END
    WHERE user_id = $1::uuid`,
  mentioning: `SELECT event_id::text AS event_id, payload::text AS payload FROM buddy_system_events
    WHERE lower(payload::text) LIKE ANY($1::text[])`,
  updatePayloads: `UPDATE buddy_system_events e SET payload = p.payload
    FROM unnest($1::uuid[], $2::jsonb[]) AS p(event_id, payload) WHERE e.event_id = p.event_id`,
  links: `SELECT external_id, metadata FROM user_external_ids WHERE profile_id = $1::uuid AND provider = 'buddy'`,
  deleteUser: 'DELETE FROM users WHERE id = $1::uuid',
  linkTombstone: `INSERT INTO user_external_ids (profile_id, provider, external_id, metadata) VALUES ($1::uuid, 'buddy', $2, $3)
    ON CONFLICT (provider, external_id) DO UPDATE SET profile_id = EXCLUDED.profile_id, metadata = EXCLUDED.metadata`,
} as const;
