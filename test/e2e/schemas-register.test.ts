import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/contracts/index.ts';
import type { RegistryAdmin } from '../../src/kafka/schema-registry-admin.ts';
import { SCHEMAS_DIR } from '../../src/kafka/schema-subjects.ts';
import { runCli } from '../support/cli.ts';
import { deleteSubjects, REGISTRY_URL, requireRegistry } from '../support/registry.ts';

type Schema = { properties: { data: { properties: Record<string, unknown>; required: string[] } } };

describe('bin/buddy-stream schemas register', () => {
  const id = randomBytes(4).toString('hex');
  const prefix = `t.${id}.`;
  // Output topics too get this run's names, so no subject outside the test's own is touched.
  const env = {
    SCHEMA_REGISTRY_URL: REGISTRY_URL,
    TOPIC_PREFIX: prefix,
    TOPIC_PATTERN: `^t\\.${id}\\.buddy\\.`,
    Q2Q_TEXT_TOPIC: `${prefix}q2q.text`,
    Q2Q_SCORES_TOPIC: `${prefix}q2q.scores`,
    JOURNEY_FLAG_TOPIC: `${prefix}journey.flag`,
    JOURNEY_MILESTONE_TOPIC: `${prefix}journey.milestone`,
    LOG_LEVEL: 'warn',
  };
  const checkin = `${prefix}buddy.checkin.completed-value`;
  let admin: RegistryAdmin;
  let dir: string;
  let file: string;
  let original: string;
  const register = () => runCli(['schemas', 'register', '--schemas-dir', dir], env);
  const editCheckin = (edit: (schema: Schema) => void) => {
    const schema = JSON.parse(original) as Schema;
    edit(schema);
    writeFileSync(file, JSON.stringify(schema, null, 2));
  };

  beforeAll(async () => {
    admin = await requireRegistry();
    dir = mkdtempSync(path.join(tmpdir(), 'schemas-'));
    cpSync(SCHEMAS_DIR, dir, { recursive: true });
    file = path.join(dir, 'buddy.checkin.completed.schema.json');
    original = readFileSync(file, 'utf8');
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (admin) await deleteSubjects(admin, prefix);
  });

  it('registers every buddy.* topic under BACKWARD compatibility, and a second run changes nothing', async () => {
    const first = await register();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const type of EVENT_TYPES)
      expect(first.stdout).toMatch(new RegExp(`^${prefix}${type}-value: schema id \\d+ \\(new\\)$`, 'm'));
    const subjects = Number(/schemas register: (\d+) subjects/.exec(first.stdout)?.[1]);
    expect(subjects).toBeGreaterThanOrEqual(EVENT_TYPES.length);
    expect(first.stdout).toContain(`${subjects} subjects, ${subjects} registered, compatibility BACKWARD`);
    const config = await fetch(`${REGISTRY_URL}/config/${encodeURIComponent(checkin)}`);
    expect(await config.json()).toMatchObject({ compatibilityLevel: 'BACKWARD' });

    const again = await register();
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${subjects} subjects, 0 registered`);
    expect(again.stdout).toMatch(new RegExp(`^${checkin}: schema id \\d+ \\(unchanged\\)$`, 'm'));
  });

  it.each([
    ['changes a field type', (s: Schema) => void (s.properties.data.properties.notes = { type: 'integer' })],
    ['adds a required field', (s: Schema) => void s.properties.data.required.push('mood')],
  ])('fails on a breaking change (%s), names the subject and registers nothing', async (_name, edit) => {
    const before = await admin.latestVersion(checkin);
    editCheckin(edit);
    const result = await register();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `schemas register: breaking change: ${checkin}: schemas/buddy.checkin.completed.schema.json is not ` +
        `BACKWARD-compatible with version ${before!.version} (schema id ${before!.id}) in the registry`,
    );
    expect(result.stderr).toContain('nothing registered');
    expect(await admin.latestVersion(checkin)).toEqual(before);
  });

  it('accepts a compatible change as a new version: old records still validate when a requirement goes', async () => {
    const before = await admin.latestVersion(checkin);
    editCheckin((s) => {
      s.properties.data.required = s.properties.data.required.filter((field) => field !== 'checkinDate');
    });
    const result = await register();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${checkin}: schema id \\d+ \\(new version\\)$`, 'm'));
    expect((await admin.latestVersion(checkin))!.version).toBe(before!.version + 1);
  });

  it('needs SCHEMA_REGISTRY_URL', async () => {
    const result = await runCli(['schemas', 'register'], { ...env, SCHEMA_REGISTRY_URL: '' });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('SCHEMA_REGISTRY_URL: `schemas register` needs the schema registry URL');
  });
});
