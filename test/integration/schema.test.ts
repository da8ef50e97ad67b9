// The CSR platform schema as the seed (shared/seed/csr-platform-schema.md) defines it, checked
// against what the migrations really build on a fresh database of the Postgres server.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MIGRATIONS_DIR, ensureDatabase, migrate } from '../../src/store/migrate.ts';

const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const created: string[] = [];
const pools: pg.Pool[] = [];

function urlFor(database: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function freshDatabase(): Promise<string> {
  const name = `bs_schema_${randomBytes(5).toString('hex')}`;
  created.push(name);
  expect(await ensureDatabase(urlFor(name))).toBe(true);
  return urlFor(name);
}

function poolFor(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pools.push(pool);
  return pool;
}

async function column<T>(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  const { rows } = await pool.query<{ v: T }>(sql, params);
  return rows.map((r) => r.v);
}

/** The SQLSTATE a statement fails with, or 'ok'. */
async function sqlstate(pool: pg.Pool, sql: string, params: unknown[]): Promise<string> {
  try {
    await pool.query(sql, params);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** Every .sql file in the migrations directory, by name, in the order they apply. */
const ALL_MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .map((f) => f.slice(0, -'.sql'.length))
  .sort();

// Seed columns (plus the agreed company_id and buddy_events.metadata extensions). `!` = NOT NULL.
const TS = 'timestamptz';
const COLUMNS: Record<string, string> = {
  companies: `id uuid!, name varchar(255)!, created_at ${TS}!, updated_at ${TS}!`,
  users: `id uuid!, email varchar(255)!, role varchar(50)!, first_name varchar(100), last_name varchar(100),
    journey_flags jsonb, created_at ${TS}!, updated_at ${TS}!`,
  program_enrollments: `id uuid!, user_id uuid!, program_type varchar(50)!, enrolled_at ${TS}!, status varchar(50)!,
    completed_at ${TS}, company_id uuid`,
  buddy_matches: `id uuid!, participant_id uuid!, buddy_id uuid!, matched_at ${TS}!, status varchar(50)!,
    ended_at ${TS}, company_id uuid`,
  buddy_events: `id uuid!, match_id uuid!, event_type varchar(100), event_date ${TS}, description text,
    location varchar(255), metadata jsonb!, created_at ${TS}!`,
  buddy_checkins: `id uuid!, match_id uuid!, checkin_date ${TS}!, mood varchar(50), notes text`,
  buddy_feedback: `id uuid!, match_id uuid!, from_role varchar(50)!, rating numeric(3,2)!, feedback_text text,
    submitted_at ${TS}!`,
  buddy_system_events: `id uuid!, event_id uuid!, event_type varchar(100)!, user_id varchar(100), timestamp ${TS}!,
    payload jsonb!, correlation_id uuid, processed_at ${TS}, derived_metrics jsonb, created_at ${TS}!, company_id uuid`,
  kintell_sessions: `id uuid!, external_session_id varchar(255), session_type varchar(50)!, participant_id uuid!,
    volunteer_id uuid!, scheduled_at ${TS}, completed_at ${TS}, duration_minutes integer, rating numeric(3,2),
    feedback_text text, language_level varchar(10), topics jsonb, metadata jsonb, created_at ${TS}!`,
  outcome_scores: `id uuid!, text_id uuid!, text_type varchar(50), dimension varchar(50)!, score numeric(4,3)!,
    confidence numeric(4,3), model_version varchar(50), method outcome_score_method, provider_used varchar(50),
    language outcome_score_language, topics jsonb, created_at ${TS}!`,
  evidence_snippets: `id uuid!, outcome_score_id uuid, snippet_text text, snippet_hash varchar(64),
    embedding_ref varchar(255), embedding text, source_ref varchar(255), created_at ${TS}!`,
  metrics_company_period: `id uuid!, company_id uuid!, period_start date!, period_end date!, participants_count integer,
    volunteers_count integer, sessions_count integer, avg_integration_score numeric(4,3),
    avg_language_level numeric(4,3), avg_job_readiness numeric(4,3), sroi_ratio numeric(6,2), vis_score numeric(6,2),
    created_at ${TS}!`,
  external_id_mappings: `id uuid!, user_id uuid!, external_system varchar(50)!, external_id varchar(255)!,
    created_at ${TS}!`,
  user_external_ids: `id uuid!, profile_id uuid!, provider varchar(50)!, external_id varchar(255)!,
    created_at ${TS}!, updated_at ${TS}!, metadata jsonb`,
  journey_flags: `id uuid!, user_id uuid!, flag varchar(100)!, value boolean!, set_by_rule varchar(100),
    set_at ${TS}!, expires_at ${TS}`,
  journey_milestones: `id uuid!, user_id uuid!, milestone varchar(100)!, reached_at ${TS}!,
    triggered_by_rule varchar(100), metadata jsonb`,
};
const TABLES = Object.keys(COLUMNS).sort();

const COLUMNS_SQL = `
  SELECT a.attrelid::regclass::text || '.' || a.attname || ' '
         || replace(replace(format_type(a.atttypid, a.atttypmod), 'character varying', 'varchar'),
                    'timestamp with time zone', 'timestamptz')
         || CASE WHEN a.attnotnull THEN '!' ELSE '' END AS v
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname = ANY($1)
    AND a.attnum > 0 AND NOT a.attisdropped`;

// "table(columns)" for each constraint of a kind; FKs also "-> table(columns) on delete <action>".
const CONSTRAINTS_SQL = `
  SELECT c.conrelid::regclass::text || '(' || array_to_string(array(
           SELECT attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
           JOIN pg_attribute ON attrelid = c.conrelid AND attnum = k.n ORDER BY k.i), ', ') || ')'
         || CASE WHEN c.contype = 'f' THEN ' -> ' || c.confrelid::regclass::text || ' on delete '
              || CASE c.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' ELSE 'no action' END
            ELSE ' ' || c.conname END AS v
  FROM pg_constraint c
  WHERE c.connamespace = 'public'::regnamespace AND c.contype = $1 AND c.conrelid::regclass::text = ANY($2)`;

describe('CSR platform schema migrations', () => {
  let url: string;
  let db: pg.Pool;
  let firstRun: string[];
  let secondRun: string[];
  let consoleCalls = 0;

  beforeAll(async () => {
    url = await freshDatabase();
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    try {
      firstRun = await migrate({ databaseUrl: url });
      secondRun = await migrate({ databaseUrl: url });
    } finally {
      consoleCalls = spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
      for (const spy of spies) spy.mockRestore();
    }
    db = poolFor(url);
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    const admin = new pg.Client({ connectionString: urlFor('postgres') });
    await admin.connect();
    try {
      for (const name of created)
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  it('applies every migration once, quietly; a second run has nothing to do', async () => {
    expect(ALL_MIGRATIONS).toContain('0001_csr-users-and-identity');
    expect(firstRun).toEqual(ALL_MIGRATIONS);
    expect(secondRun).toEqual([]);
    expect(consoleCalls).toBe(0);
    expect(await column(db, 'SELECT name AS v FROM pgmigrations ORDER BY id')).toEqual(ALL_MIGRATIONS);
  });

  it('has every seed table and column, with seed types and NOT NULLs', async () => {
    const tables = await column<string>(
      db,
      `SELECT table_name AS v FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ANY($1)`,
      [TABLES],
    );
    expect(tables.sort()).toEqual(TABLES);
    const expected = Object.entries(COLUMNS).flatMap(([t, cols]) =>
      cols.split(/,\s+/).map((c) => `${t}.${c.trim()}`),
    );
    // Later migrations (0100+, buddy-stream's own) may add columns; the seed's must all be there as specified.
    expect(await column<string>(db, COLUMNS_SQL, [TABLES])).toEqual(expect.arrayContaining(expected));
  });

  it('gives ids, timestamps and extension columns their defaults', async () => {
    const defaults = await column<string>(
      db,
      `SELECT table_name || '.' || column_name || ' = ' || column_default AS v FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = ANY($1) AND column_default IS NOT NULL`,
      [TABLES],
    );
    const expected = TABLES.flatMap((t) => [
      `${t}.id = gen_random_uuid()`,
      ...(COLUMNS[t]!.includes('created_at') ? [`${t}.created_at = now()`] : []),
      ...(COLUMNS[t]!.includes('updated_at') ? [`${t}.updated_at = now()`] : []),
    ]).concat([
      `users.journey_flags = '{}'::jsonb`,
      `user_external_ids.metadata = '{}'::jsonb`,
      `program_enrollments.status = 'active'::character varying`,
      `buddy_matches.status = 'active'::character varying`,
      `buddy_events.metadata = '{}'::jsonb`,
      `buddy_system_events.derived_metrics = '[]'::jsonb`,
      `outcome_scores.method = 'ai_classifier'::outcome_score_method`,
      `outcome_scores.language = 'en'::outcome_score_language`,
    ]);
    expect(defaults).toEqual(expect.arrayContaining(expected));
  });

  it('has every UNIQUE and foreign key, with the agreed ON DELETE actions', async () => {
    expect(await column<string>(db, CONSTRAINTS_SQL, ['u', TABLES])).toEqual(
      expect.arrayContaining([
        'buddy_system_events(event_id) buddy_events_event_id_idx',
        'evidence_snippets(snippet_hash) evidence_snippets_hash_idx',
        'external_id_mappings(external_system, external_id) external_id_mappings_system_external_id_unique',
        'user_external_ids(provider, external_id) idx_user_external_ids_provider_external',
        'users(email) users_email_unique',
      ]),
    );
    const foreignKeys = await column<string>(db, CONSTRAINTS_SQL, ['f', TABLES]);
    // Events name their tenant before (and whether or not) the company exists: no FK on the
    // company_id columns the pipeline writes.
    expect(foreignKeys.filter((fk) => fk.includes('(company_id)') && !fk.startsWith('metrics_'))).toEqual([]);
    expect(foreignKeys).toEqual(
      expect.arrayContaining([
        'buddy_checkins(match_id) -> buddy_matches on delete no action',
        'buddy_events(match_id) -> buddy_matches on delete no action',
        'buddy_feedback(match_id) -> buddy_matches on delete no action',
        'buddy_matches(buddy_id) -> users on delete no action',
        'buddy_matches(participant_id) -> users on delete no action',
        'evidence_snippets(outcome_score_id) -> outcome_scores on delete cascade',
        'external_id_mappings(user_id) -> users on delete cascade',
        'journey_flags(user_id) -> users on delete cascade',
        'journey_milestones(user_id) -> users on delete cascade',
        'kintell_sessions(participant_id) -> users on delete no action',
        'kintell_sessions(volunteer_id) -> users on delete no action',
        'metrics_company_period(company_id) -> companies on delete cascade',
        'program_enrollments(user_id) -> users on delete cascade',
        'user_external_ids(profile_id) -> users on delete cascade',
      ]),
    );
  });

  it('has every index the seed names, and one for each critical and recommended query', async () => {
    // Storage parameters are tuning, not the contract (0114 sets the GIN pending list of journey_flags).
    const defs = await column<string>(
      db,
      `SELECT regexp_replace(regexp_replace(pg_get_indexdef(indexrelid), ' WITH \\([^)]*\\)', ''),
                             '^CREATE (UNIQUE )?INDEX (\\S+) ON public\\.', '\\2 \\1ON ') AS v
       FROM pg_index WHERE indrelid::regclass::text = ANY($1)`,
      [TABLES],
    );
    const named = [
      'idx_users_journey_flags ON users USING gin (journey_flags)',
      'buddy_events_user_timestamp_idx ON buddy_system_events USING btree (user_id, "timestamp")',
      'buddy_events_event_type_idx ON buddy_system_events USING btree (event_type)',
      'buddy_events_event_id_idx UNIQUE ON buddy_system_events USING btree (event_id)',
      'outcome_scores_text_id_idx ON outcome_scores USING btree (text_id)',
      'outcome_scores_dimension_idx ON outcome_scores USING btree (dimension)',
      'outcome_scores_language_idx ON outcome_scores USING btree (language)',
      'evidence_snippets_outcome_score_idx ON evidence_snippets USING btree (outcome_score_id)',
      'evidence_snippets_hash_idx UNIQUE ON evidence_snippets USING btree (snippet_hash)',
      'metrics_company_period_idx ON metrics_company_period USING btree (company_id, period_start)',
      'metrics_period_start_idx ON metrics_company_period USING btree (period_start)',
      'idx_user_external_ids_profile ON user_external_ids USING btree (profile_id)',
      'idx_user_external_ids_provider_external UNIQUE ON user_external_ids USING btree (provider, external_id)',
      'idx_user_external_ids_provider ON user_external_ids USING btree (provider)',
    ];
    expect(defs).toEqual(expect.arrayContaining(named));
    const unnamed = [
      'UNIQUE ON users USING btree (email)',
      'ON buddy_matches USING btree (participant_id, status)',
      'ON buddy_matches USING btree (company_id)',
      'ON buddy_events USING btree (match_id, event_date)',
      'ON outcome_scores USING btree (dimension, created_at)',
      'ON buddy_events USING btree (event_type, event_date)',
      'ON buddy_feedback USING btree (submitted_at)',
      'ON kintell_sessions USING btree (session_type, completed_at)',
      'UNIQUE ON external_id_mappings USING btree (external_system, external_id)',
    ];
    const withoutNames = defs.map((d) => d.replace(/^\S+ /, ''));
    expect(withoutNames).toEqual(expect.arrayContaining(unnamed));
    // A small GIN pending list: no 50 ms flush in the middle of a batch (0114).
    expect(
      await column<string>(
        db,
        `SELECT unnest(reloptions) AS v FROM pg_class WHERE relname = 'idx_users_journey_flags'`,
        [],
      ),
    ).toEqual(['gin_pending_list_limit=256']);
  });

  it('enforces the value sets, ranges and references with the right SQLSTATEs', async () => {
    const user = (email: string, role: string) =>
      db.query<{ id: string }>(`INSERT INTO users (email, role) VALUES ($1, $2) RETURNING id`, [email, role]);
    const participant = (await user('p@example.org', 'beneficiary')).rows[0]!.id;
    const buddy = (await user('b@example.org', 'volunteer')).rows[0]!.id;
    const loner = (await user('l@example.org', 'participant')).rows[0]!.id;
    const match = (
      await db.query<{ id: string }>(
        `INSERT INTO buddy_matches (participant_id, buddy_id, matched_at) VALUES ($1, $2, now()) RETURNING id`,
        [participant, buddy],
      )
    ).rows[0]!.id;
    const feedback = `INSERT INTO buddy_feedback (match_id, from_role, rating, submitted_at) VALUES ($1, 'buddy', $2, now())`;
    const checkin = `INSERT INTO buddy_checkins (match_id, checkin_date, mood) VALUES ($1, now(), $2)`;
    const session = `INSERT INTO kintell_sessions (session_type, participant_id, volunteer_id) VALUES ($1, $2, $3)`;
    const score = `INSERT INTO outcome_scores (text_id, text_type, dimension, score, language)
                   VALUES (gen_random_uuid(), $1, 'confidence', $2, $3::text::outcome_score_language)`;
    const link = `INSERT INTO user_external_ids (profile_id, provider, external_id) VALUES ($1, $2, $3)`;
    const raw = `INSERT INTO buddy_system_events (event_id, event_type, "timestamp", payload)
                 VALUES ('5f0c6d1e-8a53-4f3e-9d8b-1c2a3b4c5d6e', 'buddy.match.created', now(), '{}')`;
    const deleteUser = `DELETE FROM users WHERE id = $1`;
    // [what, statement, parameters, expected SQLSTATE or 'ok'], run in order.
    const cases: [string, string, unknown[], string][] = [
      ['role pirate', `INSERT INTO users (email, role) VALUES ('x@example.org', 'pirate')`, [], '23514'],
      ['duplicate email', `INSERT INTO users (email, role) VALUES ('p@example.org', 'admin')`, [], '23505'],
      ['rating 1.5', feedback, [match, 1.5], '23514'],
      ['rating 0.85', feedback, [match, 0.85], 'ok'],
      ['mood meh', checkin, [match, 'meh'], '23514'],
      ['mood great', checkin, [match, 'great'], 'ok'],
      ['session skill_share', session, ['skill_share', participant, buddy], 'ok'],
      ['session yoga', session, ['yoga', participant, buddy], '23514'],
      ['score skill_feedback', score, ['skill_feedback', 0.7, 'uk'], 'ok'],
      ['score 1.2', score, ['buddy_feedback', 1.2, 'en'], '23514'],
      ['text type essay', score, ['essay', 0.5, 'en'], '23514'],
      ['language fr', score, ['checkin_note', 0.5, 'fr'], '22P02'],
      ['link buddy-1', link, [participant, 'buddy', 'buddy-1'], 'ok'],
      ['link buddy-1 again', link, [buddy, 'buddy', 'buddy-1'], '23505'],
      ['link provider myspace', link, [buddy, 'myspace', 'm-1'], '23514'],
      ['raw event', raw, [], 'ok'],
      ['raw event again', raw, [], '23505'],
      ['delete matched user', deleteUser, [participant], '23503'],
      ['link loner', link, [loner, 'buddy', 'buddy-2'], 'ok'],
      ['delete loner', deleteUser, [loner], 'ok'],
    ];
    const outcomes: Record<string, string> = {};
    for (const [what, sql, params] of cases) outcomes[what] = await sqlstate(db, sql, params);
    expect(outcomes).toEqual(Object.fromEntries(cases.map(([what, , , code]) => [what, code])));

    const defaults = `SELECT e.metadata, s.method, s.language FROM buddy_events e, outcome_scores s
                      WHERE e.match_id = $1 AND s.text_type = 'skill_feedback'`;
    await db.query(`INSERT INTO buddy_events (match_id, event_type) VALUES ($1, 'hangout')`, [match]);
    expect((await db.query(defaults, [match])).rows).toEqual([
      { metadata: {}, method: 'ai_classifier', language: 'uk' },
    ]);
    const links = `SELECT count(*)::int AS v FROM user_external_ids WHERE profile_id = $1`;
    expect(await column(db, links, [loner])).toEqual([0]); // cascaded with the user
  });

  it('lets two migrators start at once on a fresh database: both succeed, the schema is applied once', async () => {
    const name = `bs_schema_${randomBytes(5).toString('hex')}`;
    created.push(name);
    const results = await Promise.all([ensureDatabase(urlFor(name)), ensureDatabase(urlFor(name))]);
    expect(results.sort()).toEqual([false, true]);
    const runs = await Promise.all([
      migrate({ databaseUrl: urlFor(name) }),
      migrate({ databaseUrl: urlFor(name) }),
    ]);
    expect(runs.sort((a, b) => a.length - b.length)).toEqual([[], ALL_MIGRATIONS]);
    const applied = await column<string>(
      poolFor(urlFor(name)),
      'SELECT name AS v FROM pgmigrations ORDER BY id',
    );
    expect(applied).toEqual(ALL_MIGRATIONS);
  });

  it('dry run logs the SQL it would run and applies nothing', async () => {
    const fresh = await freshDatabase();
    const lines: string[] = [];
    const wouldRun = await migrate({ databaseUrl: fresh, dryRun: true, log: (m) => lines.push(m) });
    expect(wouldRun).toEqual(ALL_MIGRATIONS);
    const printed = lines.join('\n');
    expect(printed).toContain('CREATE TABLE users (');
    expect(printed).toContain('CREATE TYPE outcome_score_method');
    const pool = poolFor(fresh);
    const left = `SELECT count(*)::int AS v FROM pg_class WHERE relnamespace = 'public'::regnamespace`;
    expect(await column(pool, left)).toEqual([0]); // not even the pgmigrations table
    expect(await migrate({ databaseUrl: url, dryRun: true })).toEqual([]);
  });

  it('migrates all the way down and up again', async () => {
    const fresh = await freshDatabase();
    await migrate({ databaseUrl: fresh });
    const down = await migrate({ databaseUrl: fresh, direction: 'down', count: Number.POSITIVE_INFINITY });
    expect(down).toEqual([...ALL_MIGRATIONS].reverse());
    const pool = poolFor(fresh);
    const left = `SELECT c.relname AS v FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'S')
                  UNION ALL SELECT typname FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e'`;
    expect((await column<string>(pool, left)).sort()).toEqual(['pgmigrations', 'pgmigrations_id_seq']);
    expect(await migrate({ databaseUrl: fresh })).toEqual(ALL_MIGRATIONS);
  });
});
