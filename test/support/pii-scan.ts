// Where a string still appears in the database: every text, varchar and json/jsonb column of every
// table, case-insensitively. What a GDPR erasure test asserts is empty.
import type pg from 'pg';
import { tableColumns } from './table-dump.ts';

const TEXT_TYPES = new Set(['text', 'character varying', 'character', 'json', 'jsonb']);

export async function findText(db: pg.Pool, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const [table, columns] of await tableColumns(db)) {
    for (const column of columns.filter((c) => TEXT_TYPES.has(c.type))) {
      for (const needle of needles) {
        // Names come from the catalog of our own test database.
        const { rows } = await db.query(
          `SELECT count(*)::int AS n FROM "${table}" WHERE "${column.name}"::text ILIKE '%' || $1 || '%'`,
          [needle],
        );
        if (rows[0].n > 0) hits.push(`${table}.${column.name}: "${needle}" in ${rows[0].n} rows`);
      }
    }
  }
  return hits;
}
