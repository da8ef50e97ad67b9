// A historical import in two streaming passes: validate every row of every export file (reporting each
// bad row by file, line, field and reason, never a value), then publish the events of the files that
// passed, framed by buddy.import.batch start and complete. The batch id is derived from the files'
// content, and every event id from its row, so importing the same files again changes nothing.
import type { Progress } from '../ops-tools/progress.ts';
import { nameBasedUuid } from '../pipeline/ids.ts';
import { buildRecord, InvalidEventError, type BuddyRecord } from '../producer/record.ts';
import { IMPORT_EVENT_NAMESPACE, rowToEvents, type RowIssue } from './rows.ts';
import {
  findExportFiles,
  isUnreadable,
  newContentHash,
  readRows,
  type ExportFile,
  type ExportKind,
} from './sources.ts';

export interface FileReport {
  file: ExportFile;
  rows: number;
  invalidRows: number;
  events: number;
  publish: boolean;
  published: number;
}

export interface ImportPlan {
  dir: string;
  batchId: string;
  files: FileReport[];
  ignored: string[];
  invalidRows: number;
}

export interface ImportSettings {
  /** Tenant of rows without a company_id column. */
  companyId?: string;
  /** Publish the valid rows of files that have bad rows (otherwise such a file is not published at all). */
  skipInvalid?: boolean;
  topicPrefix: string;
  progress: Progress;
  /** Receives each report line (bad rows). */
  report: (line: string) => void;
}

type RecordsOf = { ok: true; records: BuddyRecord[] } | { ok: false; issues: RowIssue[] };

function recordsOf(
  file: ExportFile,
  row: Record<string, unknown>,
  batchId: string,
  settings: ImportSettings,
): RecordsOf {
  const result = rowToEvents(file.kind, row, file.format === 'csv');
  if (!result.ok) return result;
  const rowCompany = row['company_id'] ?? row['companyId'];
  const companyId = typeof rowCompany === 'string' && rowCompany !== '' ? rowCompany : settings.companyId;
  try {
    const records = result.drafts.map((d) =>
      buildRecord(d.type, d.data as never, {
        id: d.id,
        timestamp: d.timestamp,
        correlationId: batchId,
        metadata: { source: 'import', importBatchId: batchId, ...(companyId ? { companyId } : {}) },
        topicPrefix: settings.topicPrefix,
        key: null,
      }),
    );
    return { ok: true, records };
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    const field = /metadata\.companyId/.test(error.message) ? 'company_id' : '(event)';
    return { ok: false, issues: [{ field, reason: error.message }] };
  }
}

/** Pass 1: reads and validates everything; publishes nothing. */
export async function validateExport(dir: string, settings: ImportSettings): Promise<ImportPlan> {
  const { files, ignored } = await findExportFiles(dir);
  if (files.length === 0) {
    throw new Error(
      `no export files in ${dir}: expected users, matches, events, checkins, feedback, skill_sessions or milestones (.csv, .json, .ndjson)`,
    );
  }
  const hash = newContentHash();
  hash.update(`company:${settings.companyId ?? ''}\n`);
  const total = files.reduce((n, f) => n + f.bytes, 0);
  let before = 0;
  settings.progress.start('validating (bytes)', total);
  const reports: FileReport[] = [];
  // The batch id is not known before the content is hashed: ids in pass 1 use a placeholder.
  const placeholder = '00000000-0000-0000-0000-000000000000';
  for (const file of files) {
    hash.update(`file:${file.name}\n`);
    const report: FileReport = { file, rows: 0, invalidRows: 0, events: 0, publish: false, published: 0 };
    const rows = readRows(file, { hash, onBytes: (bytes) => settings.progress.update(before + bytes) });
    for await (const item of rows) {
      report.rows++;
      const result = isUnreadable(item)
        ? ({ ok: false, issues: [{ field: '(row)', reason: item.unreadable }] } as const)
        : recordsOf(file, item.row, placeholder, settings);
      if (result.ok) {
        report.events += result.records.length;
        continue;
      }
      report.invalidRows++;
      for (const issue of result.issues)
        settings.report(`${file.name}:${item.line}: ${issue.field}: ${issue.reason}`);
    }
    before += file.bytes;
    report.publish = report.invalidRows === 0 || settings.skipInvalid === true;
    reports.push(report);
  }
  settings.progress.stop();
  const batchId = nameBasedUuid(IMPORT_EVENT_NAMESPACE, `batch:${hash.digest('hex')}`);
  const invalidRows = reports.reduce((n, r) => n + r.invalidRows, 0);
  return { dir, batchId, files: reports, ignored, invalidRows };
}

export type Send = (records: BuddyRecord[]) => Promise<void>;

/** Pass 2: publishes the plan's files (their valid rows), between the batch's start and complete events. */
export async function publishExport(plan: ImportPlan, settings: ImportSettings, send: Send): Promise<number> {
  const chosen = plan.files.filter((f) => f.publish);
  const planned = Object.fromEntries(chosen.map((f) => [f.file.kind, f.rows - f.invalidRows]));
  await send([batchRecord(plan.batchId, 'start', planned, settings.topicPrefix)]);
  settings.progress.start(
    'publishing (events)',
    chosen.reduce((n, f) => n + f.events, 0),
  );
  let buffer: BuddyRecord[] = [];
  let published = 0;
  for (const report of chosen) {
    for await (const item of readRows(report.file)) {
      if (isUnreadable(item)) continue;
      const result = recordsOf(report.file, item.row, plan.batchId, settings);
      if (!result.ok) continue;
      report.published++;
      buffer.push(...result.records);
      if (buffer.length >= 1_000) {
        await send(buffer);
        settings.progress.increment(buffer.length);
        published += buffer.length;
        buffer = [];
      }
    }
  }
  await send(buffer);
  settings.progress.increment(buffer.length);
  published += buffer.length;
  settings.progress.stop();
  const counts: Partial<Record<ExportKind, number>> = {};
  for (const r of chosen) counts[r.file.kind] = r.published;
  await send([batchRecord(plan.batchId, 'complete', counts, settings.topicPrefix)]);
  return published;
}

function batchRecord(
  batchId: string,
  phase: 'start' | 'complete',
  counts: Record<string, number>,
  topicPrefix: string,
): BuddyRecord {
  return buildRecord(
    'buddy.import.batch',
    { batchId, phase, counts },
    {
      id: nameBasedUuid(IMPORT_EVENT_NAMESPACE, `batch:${batchId}:${phase}`),
      correlationId: batchId,
      metadata: { source: 'import' },
      topicPrefix,
    },
  );
}
