import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration, redactUrl } from '../../src/config.ts';

describe('config', () => {
  it('has documented defaults', () => {
    const config = loadConfig({ PGUSER: 'alice' });
    expect(config.KAFKA_BROKERS).toEqual(['localhost:9092']);
    expect(config.KAFKA_GROUP_ID).toBe('buddy-stream');
    expect(String(config.TOPIC_PATTERN)).toBe('/^buddy\\./');
    expect(config.METRICS_PORT).toBe(9464);
    expect(config.PARK_TIMEOUT).toBe(24 * 3600 * 1000);
    expect(config.DATABASE_URL).toBe('postgres://alice@127.0.0.1:5432/buddy_stream');
  });

  it('collects every wrong setting in one error', () => {
    try {
      loadConfig({ KAFKA_BROKERS: ' ', TOPIC_PATTERN: '(', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('TOPIC_PATTERN is not a valid regular expression');
      expect(problems).toContain('LOG_LEVEL must be one of');
      expect(problems).toContain('DATABASE_URL must be a postgres:// URL');
      // An empty value means the default.
      expect(problems).not.toContain('KAFKA_BROKERS');
    }
  });

  it('parses durations and redacts passwords', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('2 days')).toBeUndefined();
    expect(redactUrl('postgres://u:secret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
  });
});
