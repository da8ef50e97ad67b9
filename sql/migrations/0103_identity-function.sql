-- Identity resolution for a batch of Buddy user events in one round trip (the rules are those of
-- src/pipeline/identity.ts and docs/projections.md): by the Buddy id's link, else by email, else a new
-- user; profiles follow the latest event time (ties by event id); an update for an unlinked Buddy id is
-- parked. Events are applied in the order given (the caller sorts them by event time).

-- Up Migration

CREATE FUNCTION buddy_stream_apply_user_events(
  p_event_ids uuid[], p_types text[], p_buddy_ids text[], p_emails text[], p_first_names text[],
  p_last_names text[], p_roles text[], p_times timestamptz[], p_metadata jsonb[])
RETURNS TABLE (out_event_id uuid, out_outcome text, out_user_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
  i int;
  v_user uuid;
  v_meta jsonb;
  v_email text;
  v_next_email text;
  v_profile_at timestamptz;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_event_ids, 1), 0) LOOP
    out_event_id := p_event_ids[i];
    SELECT x.profile_id, x.metadata, u.email INTO v_user, v_meta, v_email
      FROM user_external_ids x JOIN users u ON u.id = x.profile_id
      WHERE x.provider = 'buddy' AND x.external_id = p_buddy_ids[i]
      FOR UPDATE OF x;
    IF FOUND THEN
      out_user_id := v_user;
      v_profile_at := (v_meta ->> 'buddy_profile_at')::timestamptz;
      IF v_profile_at IS NOT NULL AND (p_times[i] < v_profile_at OR (p_times[i] = v_profile_at
          AND p_event_ids[i]::text <= coalesce(v_meta ->> 'buddy_profile_event_id', ''))) THEN
        out_outcome := 'stale';
        RETURN NEXT;
        CONTINUE;
      END IF;
      v_next_email := p_emails[i];
      out_outcome := 'updated';
      IF v_email <> p_emails[i] THEN
        IF EXISTS (SELECT 1 FROM users o WHERE o.email = p_emails[i] AND o.id <> v_user) THEN
          v_next_email := v_email;
          out_outcome := 'email_kept';
        ELSE
          out_outcome := 'email_changed';
        END IF;
      END IF;
      UPDATE users SET email = v_next_email, first_name = p_first_names[i], last_name = p_last_names[i],
          role = CASE WHEN role IN ('admin', 'company_user') THEN role ELSE p_roles[i] END, updated_at = now()
        WHERE id = v_user;
      UPDATE user_external_ids SET metadata = coalesce(metadata, '{}'::jsonb) || p_metadata[i], updated_at = now()
        WHERE provider = 'buddy' AND external_id = p_buddy_ids[i];
      RETURN NEXT;
      CONTINUE;
    END IF;

    IF p_types[i] = 'buddy.user.updated' THEN
      out_outcome := 'parked';
      out_user_id := NULL;
      RETURN NEXT;
      CONTINUE;
    END IF;

    SELECT id INTO v_user FROM users WHERE email = p_emails[i] FOR UPDATE;
    IF FOUND THEN
      out_outcome := 'linked_by_email';
      UPDATE users SET first_name = p_first_names[i], last_name = p_last_names[i],
          role = CASE WHEN role IN ('admin', 'company_user') THEN role ELSE p_roles[i] END, updated_at = now()
        WHERE id = v_user;
    ELSE
      out_outcome := 'created';
      -- Another partition may create a user with this email at the same moment: then link to that one.
      INSERT INTO users (email, role, first_name, last_name)
        VALUES (p_emails[i], p_roles[i], p_first_names[i], p_last_names[i])
        ON CONFLICT (email) DO UPDATE SET updated_at = users.updated_at
        RETURNING id INTO v_user;
    END IF;
    INSERT INTO user_external_ids (profile_id, provider, external_id, metadata)
      VALUES (v_user, 'buddy', p_buddy_ids[i], p_metadata[i])
      ON CONFLICT (provider, external_id) DO NOTHING;
    INSERT INTO external_id_mappings (user_id, external_system, external_id)
      VALUES (v_user, 'buddy', p_buddy_ids[i])
      ON CONFLICT (external_system, external_id) DO NOTHING;
    out_user_id := v_user;
    RETURN NEXT;
  END LOOP;
END
$$;

-- Down Migration

DROP FUNCTION buddy_stream_apply_user_events(uuid[], text[], text[], text[], text[], text[], text[], timestamptz[], jsonb[]);
