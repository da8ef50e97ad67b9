// deploy/: the alert rules pass `promtool check rules` and their own `promtool test rules`, and the
// rules and the Grafana dashboard only name metrics buddy-stream exports. Every alert has its README entry.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../src/ops/metrics.ts';
import { requireBinary } from '../support/binaries.ts';

const DEPLOY = new URL('../../deploy/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, DEPLOY), 'utf8');
const RULES = readdirSync(new URL('prometheus/rules/', DEPLOY)).map((f) => `prometheus/rules/${f}`);
const TESTS = readdirSync(new URL('prometheus/tests/', DEPLOY)).map((f) => `prometheus/tests/${f}`);

interface Rule {
  alert: string;
  expr: string;
}
const alerts: Rule[] = RULES.flatMap((file) =>
  (parse(read(file)) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
);

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(read('grafana/dashboards/buddy-stream.json')) as { panels: Panel[] };
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** What /metrics serves: our metrics, the default process metrics (same prefix), and `up`. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = createMetrics();
  const suffixes: Record<string, string[]> = {
    histogram: ['_bucket', '_sum', '_count'],
    summary: ['', '_sum', '_count'],
  };
  const names = (await metrics.registry.getMetricsAsJSON()).flatMap((m) =>
    (suffixes[String(m.type)] ?? ['']).map((suffix) => m.name + suffix),
  );
  return new Set([...names, 'up']);
}
const metricNames = (expr: string) =>
  [...expr.matchAll(/\b(buddy_stream_[a-z0-9_]+|up)\b/g)].map((m) => m[1]!);

const promtool = requireBinary('promtool');
const promtoolIt = promtool.path ? it : it.skip;

describe('Prometheus alert rules', () => {
  promtoolIt(`pass promtool check rules ${promtool.skipReason}`, () => {
    const out = execFileSync(promtool.path!, ['check', 'rules', ...RULES], { cwd: DEPLOY, encoding: 'utf8' });
    expect(out).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  promtoolIt(`fire as deploy/prometheus/tests expects ${promtool.skipReason}`, () => {
    const out = execFileSync(promtool.path!, ['test', 'rules', ...TESTS], { cwd: DEPLOY, encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
    // Every alert is exercised by the rule tests.
    for (const { alert } of alerts) expect(TESTS.map(read).join('\n')).toContain(`alertname: ${alert}`);
  });

  it('name only metrics buddy-stream exports', async () => {
    const exported = await exportedNames();
    for (const { alert, expr } of alerts) {
      expect(
        metricNames(expr).filter((n) => !exported.has(n)),
        alert,
      ).toEqual([]);
    }
  });

  it('each have an entry in the README saying what to do', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const { alert } of alerts) expect(readme).toMatch(new RegExp(`^#### ${alert}$`, 'm'));
  });
});

describe('Grafana dashboard', () => {
  it('queries only metrics buddy-stream exports', async () => {
    const exported = await exportedNames();
    expect(queries.length).toBeGreaterThan(10);
    expect(queries.flatMap(metricNames).filter((n) => !exported.has(n))).toEqual([]);
  });

  it('shows throughput, lag, dead letters, parked events, latency and errors', () => {
    const used = new Set(queries.flatMap(metricNames));
    for (const metric of [
      'buddy_stream_records_consumed_total',
      'buddy_stream_events_processed_total',
      'buddy_stream_consumer_lag_records',
      'buddy_stream_dead_lettered_total',
      'buddy_stream_parked_events',
      'buddy_stream_parked_oldest_age_seconds',
      'buddy_stream_batch_duration_seconds_bucket',
      'buddy_stream_transaction_duration_seconds_bucket',
      'buddy_stream_outbox_publish_latency_seconds_bucket',
      'buddy_stream_batch_failures_total',
      'buddy_stream_process_start_time_seconds',
    ]) {
      expect(used, metric).toContain(metric);
    }
  });

  it('is provisioned from the folder docker-compose.yml mounts', () => {
    const provider = parse(read('grafana/dashboards/provider.yml')) as {
      providers: { options: { path: string } }[];
    };
    expect(provider.providers[0]!.options.path).toBe('/etc/grafana/provisioning/dashboards');
    expect(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')).toContain(
      './deploy/grafana:/etc/grafana/provisioning:ro',
    );
  });
});
