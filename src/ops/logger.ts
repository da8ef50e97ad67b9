// Structured JSON logs (pino). Event payloads are never logged on purpose; the redaction list is the
// second line of defence, so a field named like PII is censored wherever it shows up in a log object.
import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys that carry personal data in the Buddy contracts and the CSR schema. */
export const PII_KEYS = [
  'email',
  'firstName',
  'lastName',
  'first_name',
  'last_name',
  'notes',
  'feedbackText',
  'feedback_text',
  'reasonDetails',
  'teacherComment',
  'learnerComment',
  'text',
  'snippetText',
  'payload',
  'value',
];

const redactPaths = PII_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'buddy-stream' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination(2),
  );
}
