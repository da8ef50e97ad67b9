// The logger's redaction, the second line of defence (events are never logged on purpose): a field named
// like personal data is censored at any level and at the depths code logs objects.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PII_KEYS, createLogger } from '../../src/ops/logger.ts';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'trace', destination }) };
}

describe('logger redaction', () => {
  it.each(LEVELS)('censors every PII key at level %s, at the top, one and two levels down', (level) => {
    const { lines, logger } = capture();
    const pii = Object.fromEntries(PII_KEYS.map((key) => [key, `secret-${key}`]));
    logger[level]({ ...pii, user: pii, batch: { event: pii }, eventId: 'e-1' }, 'logged by mistake');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('secret-');
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level,
      eventId: 'e-1',
      email: '[redacted]',
      user: { notes: '[redacted]' },
    });
    expect((entry.batch as { event: Record<string, string> }).event.feedbackText).toBe('[redacted]');
  });

  it('censors child loggers bindings too', () => {
    const { lines, logger } = capture();
    logger.child({ component: 'test', email: 'person@example.org' }).warn('bound');
    expect(lines[0]).not.toContain('person@example.org');
  });
});
