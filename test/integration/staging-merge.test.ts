// The two ways rows reach a merge (src/store/staging.ts): COPY into the staging table, or one JSON
// parameter through json_populate_recordset. For every staged table, the same rows with awkward values
// (tabs, newlines, quotes, backslashes, non-ASCII, JSON text and objects in jsonb columns, Dates and
// offset timestamps, nulls) must come out as the same row values either way; and the merge into a target
// gives the same rows and the same dedupe on both paths.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRows, encodeJsonRows, type CopyValue } from '../../src/store/copy-writer.ts';
import { classifyPgError } from '../../src/store/pg-errors.ts';
import {
  ensureStaging,
  insertNewRows,
  JSON_MERGE_MAX_ROWS,
  mergeRows,
  storeNewEvents,
} from '../../src/store/staging.ts';
import { STAGING, type StagedTable } from '../../src/store/statements.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase('stagingmerge');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await ensureStaging(client);
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

const AWKWARD = 'a\tb "q" \\ \n ü 🙂';

/** Values for a column of `type` (Postgres' format_type), row by row: awkward first, then plainer. */
function valuesFor(type: string, column: string): CopyValue[] {
  if (type === 'uuid') return [randomUUID(), randomUUID(), null];
  if (type.startsWith('timestamp'))
    return ['2026-03-29T01:30:00.123+02:00', new Date('2026-11-28T10:00:00.000Z'), null];
  if (type === 'integer' || type === 'smallint' || type === 'bigint') return [3, 0, null];
  if (type.startsWith('numeric')) return [4.5, 1, null];
  if (type === 'boolean') return [true, false, null];
  if (type === 'jsonb' || type === 'json')
    return [
      '{"note":"line1\\nline2 \\"q\\" \\\\ \\u00e9","n":[1,2.5,{"b":null}]}',
      { note: AWKWARD, list: ['x', 1, null] },
      column === 'payload' ? '{}' : null,
    ];
  // text and varchar(n): short enough for the narrowest (varchar(50)).
  return [AWKWARD, 'plain', null];
}

describe('staged rows by COPY and by JSON', () => {
  it.each(Object.keys(STAGING) as StagedTable[])('%s: the same row values either way', async (table) => {
    const { columns } = STAGING[table];
    const staged: { columns: readonly string[]; json?: readonly string[] } = STAGING[table];
    const attributes = (
      await client.query<{ name: string; type: string; notnull: boolean }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS notnull
         FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
        [`stage_${table}`],
      )
    ).rows;
    const types = new Map(attributes.map((a) => [a.name, a.type]));
    const notNull = new Set(attributes.filter((a) => a.notnull).map((a) => a.name));
    // Every jsonb column is declared as such, so its strings go in as JSON text.
    expect(columns.filter((c) => types.get(c) === 'jsonb')).toEqual([...(staged.json ?? [])]);
    const byColumn = columns.map((c) => {
      const values = valuesFor(types.get(c)!, c);
      // A NOT NULL column (LIKE copies them) gets its plain value again in the null row.
      return notNull.has(c) ? values.map((v) => v ?? values[1]!) : values;
    });
    const rows = [0, 1, 2].map((r) => byColumn.map((values) => values[r]!));

    await client.query('BEGIN');
    try {
      await client.query(`DELETE FROM stage_${table}`);
      await copyRows(client, `stage_${table}`, columns, rows);
      const list = columns.map((c) => `"${c}"`).join(', ');
      const viaCopy = await client.query(`SELECT ${list} FROM stage_${table}`);
      const viaJson = await client.query(
        `SELECT ${list} FROM json_populate_recordset(NULL::stage_${table}, $1::json)`,
        [encodeJsonRows(columns, staged.json ?? [], rows)],
      );
      expect(viaJson.rows).toEqual(viaCopy.rows);
      expect(viaJson.rows).toHaveLength(3);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('merges into the raw store alike, and dedupes alike, on either path', async () => {
    const row = (id: string, n: number): CopyValue[] => [
      id,
      'buddy.event.logged',
      `user-${n}`,
      new Date(Date.UTC(2026, 0, 1 + n)),
      JSON.stringify({ type: 'buddy.event.logged', data: { note: AWKWARD, n } }),
      null,
      null,
      '2026-11-28T12:00:00.000Z',
      ['buddy_events'],
    ];
    const ids = Array.from({ length: 6 }, () => randomUUID());
    const read = async (which: string[]) =>
      (
        await client.query(
          `SELECT event_id::text, event_type, user_id, "timestamp", payload, processed_at, derived_metrics
           FROM buddy_system_events WHERE event_id = ANY($1::uuid[]) ORDER BY user_id`,
          [which],
        )
      ).rows.map((r: Record<string, unknown>) => ({ ...r, event_id: undefined }));
    await ensureStaging(client);
    // The first three by JSON, the last three by COPY: the same content apart from the ids.
    const json = await mergeRows(
      client,
      'buddy_system_events',
      ids.slice(0, 3).map((id, n) => row(id, n)),
    );
    const copy = await mergeRows(
      client,
      'buddy_system_events',
      ids.slice(3).map((id, n) => row(id, n)),
      { jsonMaxRows: 0 },
    );
    expect(json.rows.map((r) => r.event_id)).toEqual(ids.slice(0, 3));
    expect(copy.rows.map((r) => r.event_id)).toEqual(ids.slice(3));
    expect(await read(ids.slice(0, 3))).toEqual(await read(ids.slice(3)));
    // Sent again, on the other path each: nothing new is returned.
    const again = [ids[0]!, ids[4]!].map((id, n) => row(id, n));
    expect((await mergeRows(client, 'buddy_system_events', again)).rows).toEqual([]);
    expect((await mergeRows(client, 'buddy_system_events', again, { jsonMaxRows: 0 })).rows).toEqual([]);
    expect((await client.query('SELECT count(*)::int AS n FROM stage_buddy_system_events')).rows[0].n).toBe(
      0,
    );
  });
});

describe('rows straight into their table by COPY (insertNewRows, storeNewEvents)', () => {
  // More rows than a JSON merge takes, so they go the COPY way.
  const many = JSON_MERGE_MAX_ROWS + 50;
  const outboxRow = (id: string, note: string): CopyValue[] => [
    id,
    'q2q.text.v1',
    'user-key',
    JSON.stringify({ note }),
    null,
    null,
  ];
  const payloadsOf = async (ids: string[]) =>
    new Map(
      (
        await client.query<{ id: string; note: string }>(
          `SELECT id::text, payload->>'note' AS note FROM outbox WHERE id = ANY($1::uuid[])`,
          [ids],
        )
      ).rows.map((r) => [r.id, r.note]),
    );

  it('writes only the ids the table does not hold, the first of each, as the merge keeps them', async () => {
    const ids = Array.from({ length: many }, () => randomUUID());
    // Ten are there already, with another payload.
    await mergeRows(
      client,
      'outbox',
      ids.slice(0, 10).map((id) => outboxRow(id, 'before')),
    );
    // Five come twice in the rows, the second time with another payload (and in upper case).
    const rows = [
      ...ids.map((id) => outboxRow(id, 'first')),
      ...ids.slice(20, 25).map((id) => outboxRow(id.toUpperCase(), 'second')),
    ];
    expect(await insertNewRows(client, 'outbox', rows)).toBe(many - 10);
    const notes = await payloadsOf(ids);
    expect(notes.size).toBe(many);
    expect(ids.slice(0, 10).every((id) => notes.get(id) === 'before')).toBe(true);
    expect(ids.slice(10).every((id) => notes.get(id) === 'first')).toBe(true);
    // Nothing went through the staging table.
    expect((await client.query('SELECT count(*)::int AS n FROM stage_outbox')).rows[0].n).toBe(0);
  });

  it('fails as retry when another transaction wrote one of the ids meanwhile; the retry leaves it out', async () => {
    const ids = Array.from({ length: many }, () => randomUUID());
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await ensureStaging(other);
      await other.query('BEGIN');
      await mergeRows(other, 'outbox', [outboxRow(ids[7]!, 'other')]);
      await client.query('BEGIN');
      const attempt = insertNewRows(
        client,
        'outbox',
        ids.map((id) => outboxRow(id, 'mine')),
      ).catch((error: unknown) => error);
      // The COPY waits for the other transaction's row, then fails on it once that commits.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await other.query('COMMIT');
      const error = await attempt;
      expect(error).toMatchObject({ code: '23505', constraint: 'outbox_pkey' });
      expect(classifyPgError(error)).toBe('retry');
      await client.query('ROLLBACK');

      expect(
        await insertNewRows(
          client,
          'outbox',
          ids.map((id) => outboxRow(id, 'mine')),
        ),
      ).toBe(many - 1);
      const notes = await payloadsOf(ids);
      expect(notes.get(ids[7]!)).toBe('other');
      expect(ids.filter((id) => notes.get(id) === 'mine')).toHaveLength(many - 1);
    } finally {
      await other.end();
    }
  });

  it('stores new events in the raw store by COPY; an event stored meanwhile fails as retry', async () => {
    const ids = Array.from({ length: many }, () => randomUUID());
    const raw = (id: string): CopyValue[] => [
      id,
      'buddy.event.logged',
      'user-1',
      '2026-11-28T12:00:00.000Z',
      '{"type":"buddy.event.logged"}',
      null,
      null,
      '2026-11-28T12:00:00.000Z',
      [],
    ];
    expect(await storeNewEvents(client, ids.slice(1).map(raw))).toEqual(new Set(ids.slice(1)));
    // The dedupe before it would have left out ids[1]; without it the COPY refuses the batch, as retry.
    await client.query('BEGIN');
    const error = await storeNewEvents(client, ids.map(raw)).catch((e: unknown) => e);
    await client.query('ROLLBACK');
    expect(error).toMatchObject({ code: '23505', constraint: 'buddy_events_event_id_idx' });
    expect(classifyPgError(error)).toBe('retry');
    // A few go through the merge, which skips what is stored.
    expect(await storeNewEvents(client, ids.slice(0, 3).map(raw))).toEqual(new Set([ids[0]]));
  });
});
