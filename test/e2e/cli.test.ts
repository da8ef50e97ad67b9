import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

describe('bin/buddy-stream', () => {
  it('--help lists the subcommands and the environment', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['run', 'migrate', 'topics', 'q2q', 'metrics'])
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    expect(result.stdout).toContain('KAFKA_BROKERS');
    expect(result.stdout).toContain('DATABASE_URL');
  });

  it('names every wrong setting in one message and exits 78', async () => {
    const result = await runCli(['migrate'], {
      KAFKA_BROKERS: 'no-port-here',
      PARK_TIMEOUT: 'soon',
      METRICS_PORT: '99999',
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('KAFKA_BROKERS must be a comma-separated list of host:port');
    expect(result.stderr).toContain('PARK_TIMEOUT must be a duration such as 30s, 15m or 24h');
    expect(result.stderr).toContain('METRICS_PORT must be a whole number from 0 to 65535');
    expect(result.stdout).toBe('');
  });

  it('rejects an unknown subcommand with a usage error', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command/i);
  });
});
