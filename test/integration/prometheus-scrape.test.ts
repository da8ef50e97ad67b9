// A real Prometheus scrapes a running processor: PromQL answers with the records processed, the dead
// letter, the lag, the build info; the alert rules load and evaluate against the real series.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer } from '../../src/ops/health-server.ts';
import { requireBinary } from '../support/binaries.ts';
import { flatEnvelope, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const prometheusBinary = requireBinary('prometheus');
const RULES = fileURLToPath(new URL('../../deploy/prometheus/rules/buddy-stream.yml', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${String(last ?? '')})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(!prometheusBinary.path)(
  `a real Prometheus scraping the processor ${prometheusBinary.skipReason}`,
  () => {
    let stream: TestStream;
    let health: HealthServer;
    let prometheus: ChildProcess;
    let api = '';
    let output = '';
    const dir = mkdtempSync(path.join(tmpdir(), 'buddy-stream-prometheus-'));

    const query = async (promql: string): Promise<Sample[]> => {
      const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; data: { result: Sample[] } };
      if (body.status !== 'success') throw new Error(JSON.stringify(body));
      return body.data.result;
    };
    const scalar = async (promql: string) => (await query(promql))[0]?.value[1];

    beforeAll(async () => {
      stream = await createTestStream('prom');
      const t = (type: string) => stream.topic(type);
      await stream.publish([
        {
          topic: t('buddy.user.registered'),
          value: flatEnvelope('buddy.user.registered', sampleUsers.participant),
        },
        {
          topic: t('buddy.user.registered'),
          value: flatEnvelope('buddy.user.registered', sampleUsers.buddy),
        },
        {
          topic: t('buddy.match.created'),
          value: flatEnvelope('buddy.match.created', validData['buddy.match.created']),
        },
        {
          topic: t('buddy.checkin.completed'),
          value: flatEnvelope('buddy.checkin.completed', validData['buddy.checkin.completed']),
        },
        { topic: t('buddy.checkin.completed'), value: 'this is not JSON' },
      ]);
      const { processor, metrics, ops } = await stream.startProcessor({ LAG_POLL_INTERVAL: '1s' });
      await ops.start();
      health = await startHealthServer(0, metrics.registry, () => ops.ready());
      await processor.waitUntilCaughtUp();

      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      const config = path.join(dir, 'prometheus.yml');
      writeFileSync(
        config,
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          `rule_files: ['${RULES}']`,
          'scrape_configs:',
          '  - job_name: buddy-stream',
          `    static_configs: [{ targets: ['127.0.0.1:${health.port}'] }]`,
        ].join('\n'),
      );
      prometheus = spawn(
        prometheusBinary.path!,
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      prometheus.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      prometheus.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      await eventually('Prometheus ready', async () =>
        (await fetch(`${api}/-/ready`)).ok ? true : undefined,
      );
    });

    afterAll(async () => {
      if (prometheus && prometheus.exitCode === null) {
        const exited = new Promise((r) => prometheus.once('exit', r));
        prometheus.kill('SIGTERM');
        await exited;
      }
      await health?.close();
      await stream?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers PromQL for the records processed, dead-lettered and still lagging', async () => {
      let seen: string | undefined;
      const processed = await eventually('events processed', async () => {
        seen = await scalar('sum(buddy_stream_events_processed_total{job="buddy-stream"})');
        return seen === '4' ? seen : undefined;
      }).catch((error: Error) => {
        throw new Error(`${error.message}; last answer ${seen}; Prometheus said:\n${output}`);
      });
      expect(processed).toBe('4');
      const byType = await query('sum by (event_type) (buddy_stream_events_processed_total)');
      expect(Object.fromEntries(byType.map((s) => [s.metric.event_type, s.value[1]]))).toEqual({
        'buddy.user.registered': '2',
        'buddy.match.created': '1',
        'buddy.checkin.completed': '1',
      });
      expect(await scalar('sum(buddy_stream_dead_lettered_total{reason="not_json"})')).toBe('1');
      // Read at least once each (a rebalance may deliver a record again; it is then skipped, not applied).
      expect(Number(await scalar('sum(buddy_stream_records_consumed_total)'))).toBeGreaterThanOrEqual(5);
      // Caught up: every assigned partition at its high watermark.
      expect(await scalar('sum(buddy_stream_consumer_lag_records)')).toBe('0');
      expect(Number(await scalar('sum(buddy_stream_assigned_partitions)'))).toBeGreaterThan(0);
      const info = await query('buddy_stream_build_info');
      expect(info[0]?.metric).toMatchObject({
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        node: process.version,
      });
      expect(await scalar('up{job="buddy-stream"}')).toBe('1');
    });

    it('loads the alert rules, evaluates them on the real series and fires BuddyStreamDeadLetters', async () => {
      const firing = await eventually('BuddyStreamDeadLetters firing', async () => {
        const response = await fetch(`${api}/api/v1/alerts`);
        const { data } = (await response.json()) as {
          data: { alerts: { labels: Record<string, string>; state: string }[] };
        };
        return data.alerts.find(
          (a) => a.labels.alertname === 'BuddyStreamDeadLetters' && a.state === 'firing',
        );
      });
      expect(firing.labels).toMatchObject({
        topic: stream.topic('buddy.checkin.completed'),
        reason: 'not_json',
      });
      const response = await fetch(`${api}/api/v1/rules`);
      const { data } = (await response.json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const rules = data.groups.flatMap((g) => g.rules);
      expect(rules.length).toBeGreaterThanOrEqual(8);
      expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
      expect(output).not.toMatch(/level=error/);
    });
  },
);
