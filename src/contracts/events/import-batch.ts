import { z } from 'zod';
import { nonNegativeInt, uuid } from '../primitives.ts';

/**
 * buddy.import.batch (NEW): brackets one historical import run, once at `start` and once at
 * `complete`. `counts` maps an export file or entity name (users, matches, ...) to its row count.
 */
export const importBatchSchema = z.object({
  batchId: uuid,
  phase: z.enum(['start', 'complete']),
  counts: z.record(z.string(), nonNegativeInt).optional(),
});

export type ImportBatch = z.output<typeof importBatchSchema>;
