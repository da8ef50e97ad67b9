// Every row of every table of the test database, for before/after comparisons of operator tools
// (replay, erasure): columns in name order, rows sorted, timestamps as ISO strings. Columns whose value
// is the time a row was written (not data) can be left out, per table or everywhere.
import type pg from 'pg';

export interface DumpOptions {
  /** Column names left out of every table. */
  ignoreColumns?: string[];
  /** `table.column` left out. */
  ignore?: string[];
  /** Tables left out. */
  skipTables?: string[];
}

export type TableDump = Record<string, string[]>;

/** Tables and their columns (public schema). */
export async function tableColumns(
  db: pg.Pool | pg.Client,
): Promise<Map<string, { name: string; type: string }[]>> {
  const { rows } = await db.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
     WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
     ORDER BY c.table_name, c.column_name`,
  );
  const tables = new Map<string, { name: string; type: string }[]>();
  for (const r of rows)
    tables.set(r.table_name, [
      ...(tables.get(r.table_name) ?? []),
      { name: r.column_name, type: r.data_type },
    ]);
  return tables;
}

export async function dumpTables(db: pg.Pool | pg.Client, options: DumpOptions = {}): Promise<TableDump> {
  const dump: TableDump = {};
  for (const [table, columns] of await tableColumns(db)) {
    if (table === 'pgmigrations' || options.skipTables?.includes(table)) continue;
    const kept = columns.filter(
      (c) => !options.ignoreColumns?.includes(c.name) && !options.ignore?.includes(`${table}.${c.name}`),
    );
    if (kept.length === 0) continue;
    // Names come from the catalog of our own test database.
    const list = kept.map((c) => `"${c.name}"`).join(', ');
    const { rows } = await db.query(`SELECT ${list} FROM "${table}"`);
    dump[table] = rows.map((r) => JSON.stringify(kept.map((c) => normalise(r[c.name])))).sort();
  }
  return dump;
}

function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  return value;
}
