-- Identity resolution (0113) reading its arrays as rows. A subscript of an array of variable-length
-- elements (text, jsonb) walks the array from its start, so $3[n] over a batch of n events was quadratic:
-- a batch of 2,600 fresh registrations took 600 ms in the one statement of 0113, a batch of 1,500 updates
-- 250 ms in the loop. The fresh statement now reads the batch by unnest(...) WITH ORDINALITY, and the loop
-- iterates over the same rows; what each event does is unchanged.

-- Up Migration

CREATE OR REPLACE FUNCTION buddy_stream_apply_user_events(
  p_event_ids uuid[], p_types text[], p_buddy_ids text[], p_emails text[], p_first_names text[],
  p_last_names text[], p_roles text[], p_times timestamptz[], p_metadata jsonb[])
RETURNS TABLE (out_event_id uuid, out_outcome text, out_user_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
  i int;
  e record;
  v_user uuid;
  v_link uuid;
  v_meta jsonb;
  v_email text;
  v_next_email text;
  v_profile_at timestamptz;
  v_fresh boolean[];
BEGIN
  -- Fresh registrations first, in one statement (0113): a registration whose Buddy id has no link, whose
  -- email no user has, and whose Buddy id and email no other event of the batch names cannot depend on
  -- the order of the batch, so it is applied as the loop below would apply it.
  v_fresh := array_fill(false, ARRAY[coalesce(array_length(p_event_ids, 1), 0)]);
  FOR out_event_id, out_user_id, i IN EXECUTE '
    WITH ev AS (
      SELECT t.*, count(*) OVER (PARTITION BY t.buddy_id) AS naming_id,
        count(*) OVER (PARTITION BY t.email) AS naming_email
      FROM unnest($1, $2, $3, $4, $5, $6, $7, $9) WITH ORDINALITY
        AS t(event_id, type, buddy_id, email, first_name, last_name, role, metadata, n)
    ), fresh AS (
      -- The link is looked up per event (LATERAL ... LIMIT 1: the unique index on (provider, external_id)),
      -- never as an anti-join against every ''buddy'' link, which a planner without statistics picks.
      SELECT ev.* FROM ev
        LEFT JOIN LATERAL (
          SELECT true AS linked FROM user_external_ids x
          WHERE x.provider = ''buddy'' AND x.external_id = ev.buddy_id LIMIT 1
        ) l ON true
        LEFT JOIN LATERAL (SELECT true AS taken FROM users u WHERE u.email = ev.email LIMIT 1) t ON true
      WHERE ev.type = ''buddy.user.registered'' AND ev.naming_id = 1 AND ev.naming_email = 1
        AND l.linked IS NULL AND t.taken IS NULL
    ), created AS (
      -- Another partition may create a user with this email at the same moment: then link to that one.
      INSERT INTO users (email, role, first_name, last_name)
        SELECT f.email, f.role, f.first_name, f.last_name FROM fresh f ORDER BY f.n
        ON CONFLICT (email) DO UPDATE SET updated_at = users.updated_at
        RETURNING id, email
    ), user_of AS (
      -- The users by email as one object: the planner sees CTEs as one row, and a join of fresh with
      -- created would be a nested loop over both (four million comparisons for 2,000 registrations).
      SELECT jsonb_object_agg(email, id) AS by_email FROM created
    ), linked AS (
      INSERT INTO user_external_ids (profile_id, provider, external_id, metadata)
        SELECT (u.by_email ->> f.email)::uuid, ''buddy'', f.buddy_id, f.metadata FROM fresh f, user_of u
        ORDER BY f.n
        ON CONFLICT (provider, external_id) DO NOTHING
    ), mapped AS (
      INSERT INTO external_id_mappings (user_id, external_system, external_id)
        SELECT (u.by_email ->> f.email)::uuid, ''buddy'', f.buddy_id FROM fresh f, user_of u
        ORDER BY f.n
        ON CONFLICT (external_system, external_id) DO NOTHING
    )
    SELECT f.event_id, (u.by_email ->> f.email)::uuid, f.n::int FROM fresh f, user_of u'
    USING p_event_ids, p_types, p_buddy_ids, p_emails, p_first_names, p_last_names, p_roles, p_times, p_metadata
  LOOP
    v_fresh[i] := true;
    out_outcome := 'created';
    RETURN NEXT;
  END LOOP;

  -- The rest one by one, in the order given; the arrays are read as rows (unnest), not by subscript.
  FOR e IN
    SELECT * FROM unnest(p_event_ids, p_types, p_buddy_ids, p_emails, p_first_names, p_last_names, p_roles,
      p_times, p_metadata) WITH ORDINALITY
      AS t(event_id, type, buddy_id, email, first_name, last_name, role, at, metadata, n)
  LOOP
    IF v_fresh[e.n::int] THEN
      CONTINUE;
    END IF;
    out_event_id := e.event_id;
    EXECUTE 'SELECT x.id, x.profile_id, x.metadata, u.email
      FROM user_external_ids x JOIN users u ON u.id = x.profile_id
      WHERE x.provider = ''buddy'' AND x.external_id = $1
      FOR UPDATE OF x'
      INTO v_link, v_user, v_meta, v_email USING e.buddy_id;
    IF v_link IS NOT NULL THEN
      out_user_id := v_user;
      v_profile_at := (v_meta ->> 'buddy_profile_at')::timestamptz;
      IF v_profile_at IS NOT NULL AND (e.at < v_profile_at OR (e.at = v_profile_at
          AND e.event_id::text <= coalesce(v_meta ->> 'buddy_profile_event_id', ''))) THEN
        out_outcome := 'stale';
        RETURN NEXT;
        CONTINUE;
      END IF;
      v_next_email := e.email;
      out_outcome := 'updated';
      IF v_email <> e.email THEN
        IF EXISTS (SELECT 1 FROM users o WHERE o.email = e.email AND o.id <> v_user) THEN
          v_next_email := v_email;
          out_outcome := 'email_kept';
        ELSE
          out_outcome := 'email_changed';
        END IF;
      END IF;
      UPDATE users SET email = v_next_email, first_name = e.first_name, last_name = e.last_name,
          role = CASE WHEN role IN ('admin', 'company_user') THEN role ELSE e.role END, updated_at = now()
        WHERE id = v_user;
      UPDATE user_external_ids SET metadata = coalesce(metadata, '{}'::jsonb) || e.metadata, updated_at = now()
        WHERE id = v_link;
      RETURN NEXT;
      CONTINUE;
    END IF;

    IF e.type = 'buddy.user.updated' THEN
      out_outcome := 'parked';
      out_user_id := NULL;
      RETURN NEXT;
      CONTINUE;
    END IF;

    SELECT id INTO v_user FROM users WHERE email = e.email FOR UPDATE;
    IF FOUND THEN
      out_outcome := 'linked_by_email';
      UPDATE users SET first_name = e.first_name, last_name = e.last_name,
          role = CASE WHEN role IN ('admin', 'company_user') THEN role ELSE e.role END, updated_at = now()
        WHERE id = v_user;
    ELSE
      out_outcome := 'created';
      -- Another partition may create a user with this email at the same moment: then link to that one.
      INSERT INTO users (email, role, first_name, last_name)
        VALUES (e.email, e.role, e.first_name, e.last_name)
        ON CONFLICT (email) DO UPDATE SET updated_at = users.updated_at
        RETURNING id INTO v_user;
    END IF;
    INSERT INTO user_external_ids (profile_id, provider, external_id, metadata)
      VALUES (v_user, 'buddy', e.buddy_id, e.metadata)
      ON CONFLICT (provider, external_id) DO NOTHING;
    INSERT INTO external_id_mappings (user_id, external_system, external_id)
      VALUES (v_user, 'buddy', e.buddy_id)
      ON CONFLICT (external_system, external_id) DO NOTHING;
    out_user_id := v_user;
    RETURN NEXT;
  END LOOP;
END
$$;

-- Down Migration

CREATE OR REPLACE FUNCTION buddy_stream_apply_user_events(
  p_event_ids uuid[], p_types text[], p_buddy_ids text[], p_emails text[], p_first_names text[],
  p_last_names text[], p_roles text[], p_times timestamptz[], p_metadata jsonb[])
RETURNS TABLE (out_event_id uuid, out_outcome text, out_user_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
  i int;
  v_user uuid;
  v_link uuid;
  v_meta jsonb;
  v_email text;
  v_next_email text;
  v_profile_at timestamptz;
  v_fresh boolean[];
BEGIN
  -- Fresh registrations first, in one statement: a registration whose Buddy id has no link, whose
  -- email no user has, and whose Buddy id and email no other event of the batch names cannot depend on
  -- the order of the batch, so it is applied as the loop below would apply it, without a round of
  -- single-row statements per event (at the start of a programme most events are registrations).
  v_fresh := array_fill(false, ARRAY[coalesce(array_length(p_event_ids, 1), 0)]);
  FOR out_event_id, out_user_id, i IN EXECUTE '
    WITH ev AS (
      SELECT n, $2[n] AS type, $3[n] AS buddy_id, $4[n] AS email,
        count(*) OVER (PARTITION BY $3[n]) AS naming_id,
        count(*) OVER (PARTITION BY $4[n]) AS naming_email
      FROM generate_subscripts($1, 1) AS n
    ), fresh AS (
      -- The link is looked up per event (LATERAL ... LIMIT 1: the unique index on (provider, external_id)),
      -- never as an anti-join against every ''buddy'' link, which a planner without statistics picks.
      SELECT ev.n, ev.buddy_id, ev.email FROM ev
        LEFT JOIN LATERAL (
          SELECT true AS linked FROM user_external_ids x
          WHERE x.provider = ''buddy'' AND x.external_id = ev.buddy_id LIMIT 1
        ) l ON true
        LEFT JOIN LATERAL (SELECT true AS taken FROM users u WHERE u.email = ev.email LIMIT 1) t ON true
      WHERE ev.type = ''buddy.user.registered'' AND ev.naming_id = 1 AND ev.naming_email = 1
        AND l.linked IS NULL AND t.taken IS NULL
    ), created AS (
      -- Another partition may create a user with this email at the same moment: then link to that one.
      INSERT INTO users (email, role, first_name, last_name)
        SELECT f.email, $7[f.n], $5[f.n], $6[f.n] FROM fresh f ORDER BY f.n
        ON CONFLICT (email) DO UPDATE SET updated_at = users.updated_at
        RETURNING id, email
    ), user_of AS (
      -- The users by email as one object: the planner sees CTEs as one row, and a join of fresh with
      -- created would be a nested loop over both (four million comparisons for 2,000 registrations).
      SELECT jsonb_object_agg(email, id) AS by_email FROM created
    ), linked AS (
      INSERT INTO user_external_ids (profile_id, provider, external_id, metadata)
        SELECT (u.by_email ->> f.email)::uuid, ''buddy'', f.buddy_id, $9[f.n] FROM fresh f, user_of u
        ORDER BY f.n
        ON CONFLICT (provider, external_id) DO NOTHING
    ), mapped AS (
      INSERT INTO external_id_mappings (user_id, external_system, external_id)
        SELECT (u.by_email ->> f.email)::uuid, ''buddy'', f.buddy_id FROM fresh f, user_of u
        ORDER BY f.n
        ON CONFLICT (external_system, external_id) DO NOTHING
    )
    SELECT $1[f.n], (u.by_email ->> f.email)::uuid, f.n FROM fresh f, user_of u'
    USING p_event_ids, p_types, p_buddy_ids, p_emails, p_first_names, p_last_names, p_roles, p_times, p_metadata
  LOOP
    v_fresh[i] := true;
    out_outcome := 'created';
    RETURN NEXT;
  END LOOP;

  FOR i IN 1 .. coalesce(array_length(p_event_ids, 1), 0) LOOP
    IF v_fresh[i] THEN
      CONTINUE;
    END IF;
    out_event_id := p_event_ids[i];
    EXECUTE 'SELECT x.id, x.profile_id, x.metadata, u.email
      FROM user_external_ids x JOIN users u ON u.id = x.profile_id
      WHERE x.provider = ''buddy'' AND x.external_id = $1
      FOR UPDATE OF x'
      INTO v_link, v_user, v_meta, v_email USING p_buddy_ids[i];
    IF v_link IS NOT NULL THEN
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
        WHERE id = v_link;
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
