// Every environment variable the code reads is documented in the README and set where buddy-stream is
// deployed: the Kubernetes manifests and docker-compose.yml. Nothing set there is unknown to the code.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { SECRET_SETTINGS, SETTINGS, environmentVariables } from '../../src/config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const known = new Set(environmentVariables());
const SECRETS = new Set<string>(SECRET_SETTINGS);
/** Read only as a fallback when DATABASE_URL names no user (as psql does); a deployment sets a user. */
const OPTIONAL = new Set(['PGUSER']);

/** Names the sources read from an environment object, however they spell it. */
function namesReadBySources(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts')) {
        for (const m of read(file).matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) {
          names.add(m[1] ?? m[2]!);
        }
      }
    }
  };
  walk('src');
  return names;
}

/** The settings a deployment must set: each one, or for a secret its `_FILE` form. */
function missingFrom(set: Set<string>): string[] {
  return Object.keys(SETTINGS).filter(
    (name) => !set.has(name) && !(SECRETS.has(name) && set.has(`${name}_FILE`)),
  );
}

const unknown = (set: Set<string>) => [...set].filter((name) => !known.has(name));

describe('environment variables', () => {
  it('lists every variable the sources read', () => {
    expect([...namesReadBySources()].filter((name) => !known.has(name))).toEqual([]);
  });

  it('documents each one in the README configuration table', () => {
    const readme = read('README.md');
    const section = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    const documented = new Set(
      [...section.matchAll(/^\|\s*(`[A-Z][A-Z0-9_]+`(?:[^|]*))\|/gm)].flatMap((m) =>
        [...m[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((n) => n[1]!),
      ),
    );
    expect([...known].filter((name) => !documented.has(name))).toEqual([]);
    expect(unknown(documented)).toEqual([]);
  });

  it('sets each one in the Kubernetes Deployment (ConfigMap and env), and only known ones', () => {
    const docs = readdirSync(path.join(ROOT, 'k8s'))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(read(`k8s/${f}`)).map((d) => d.toJS() as Record<string, any>)); // eslint-disable-line @typescript-eslint/no-explicit-any
    const configMap = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'buddy-stream')!;
    for (const kind of ['Deployment', 'Job']) {
      const workload = docs.find((d) => d.kind === kind)!;
      const container = workload.spec.template.spec.containers[0];
      expect(container.envFrom).toContainEqual({ configMapRef: { name: 'buddy-stream' } });
      const set = new Set([
        ...Object.keys(configMap.data),
        ...(container.env as { name: string }[]).map((e) => e.name),
      ]);
      expect(unknown(set), `${kind} sets unknown variables`).toEqual([]);
      const missing = missingFrom(set).filter((n) => !OPTIONAL.has(n));
      // The Job migrates: it has no consumer, so no client id of its own.
      expect(missing, `${kind} does not set`).toEqual(kind === 'Job' ? ['KAFKA_CLIENT_ID'] : []);
    }
  });

  it('sets each one in docker-compose.yml, and only known ones', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, unknown> }>;
    };
    for (const service of ['buddy-stream', 'migrate']) {
      const set = new Set(Object.keys(compose.services[service]?.environment ?? {}));
      expect(unknown(set), `${service} sets unknown variables`).toEqual([]);
      expect(missingFrom(set), `${service} does not set`).toEqual([]);
    }
  });
});
