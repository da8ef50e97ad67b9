// The README's table of services and ports is what Docker users read: docker-compose.yml must match it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const README = new URL('../../README.md', import.meta.url);
const COMPOSE = new URL('../../docker-compose.yml', import.meta.url);
const HEADING = '### Services and ports';

interface ServiceRow {
  service: string;
  hostPort: number;
}

interface ComposeService {
  ports?: unknown[];
  environment?: Record<string, unknown> | string[];
}

/** Rows of the markdown table under HEADING: `| service | host port | what |`. */
function readmeServices(markdown: string): ServiceRow[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === HEADING);
  if (start === -1) throw new Error(`README.md has no "${HEADING}" heading`);
  const table: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim().startsWith('|')) table.push(line.trim());
    else if (table.length > 0 || line.startsWith('#')) break;
  }
  const [header, , ...rows] = table.map((line) =>
    line
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim().replaceAll('`', '')),
  );
  if (header?.[0] !== 'service' || header[1] !== 'host port') {
    throw new Error(
      `README.md: the table under "${HEADING}" should start with columns | service | host port |`,
    );
  }
  return rows.map(([service = '', port = '']) => ({ service, hostPort: Number(port) }));
}

/** Host ports a service publishes, from short ("8081:8080", "127.0.0.1:5432:5432/tcp") or long syntax. */
function publishedPorts(service: ComposeService): number[] {
  return (service.ports ?? []).flatMap((entry) => {
    if (typeof entry === 'object' && entry !== null) {
      const published = (entry as { published?: unknown }).published;
      return published === undefined ? [] : [Number(published)];
    }
    const parts = String(entry)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    return parts.length < 2 ? [] : [Number(parts.at(-2))];
  });
}

function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((pair) => [pair.split('=')[0], pair.includes('=') ? pair.slice(pair.indexOf('=') + 1) : '']),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value ?? '')]));
}

describe('docker-compose.yml', () => {
  // merge: compose resolves `<<: *anchor` keys, which YAML 1.2 (the package's default) leaves alone.
  const compose = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as {
    services?: Record<string, ComposeService>;
  };
  const services = compose.services ?? {};
  const rows = readmeServices(readFileSync(README, 'utf8'));

  it('lists services in the README table', () => {
    expect(rows.length).toBeGreaterThan(0);
  });

  it.each(rows)(
    'runs $service with host port $hostPort published, as README.md says',
    ({ service, hostPort }) => {
      expect(Object.keys(services)).toContain(service);
      expect(publishedPorts(services[service] ?? {})).toContain(hostPort);
    },
  );

  it('gives buddy-stream a DATABASE_URL and KAFKA_BROKERS', () => {
    const env = environment(services['buddy-stream'] ?? {});
    expect(env.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
    expect(env.KAFKA_BROKERS).toMatch(/^[\w.-]+:\d+/);
  });
});
