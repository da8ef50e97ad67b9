import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { sampleIds as ids, sampleUsers } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const p = sampleUsers.participant;
const b = sampleUsers.buddy;
const FILES: Record<string, string> = {
  'users.csv': [
    'id,email,first_name,last_name,role,joined_at,language_preference,interests,location',
    `${p.userId},${p.email},${p.firstName},${p.lastName},participant,${p.joinedAt},uk,"[""cooking"",""hiking""]",Oslo`,
    `${b.userId},${b.email},${b.firstName},${b.lastName},buddy,${b.joinedAt},no,,"Oslo, Norway"`,
  ].join('\n'),
  'matches.csv': [
    'match_id,participant_id,buddy_id,matched_at,company_id,ended_at,end_reason,reason_details',
    `${ids.matchId},${p.userId},${b.userId},2025-01-10T10:00:00Z,${ids.companyId},2025-07-10T10:00:00Z,completed,"Program period finished."`,
  ].join('\n'),
  'events.csv': [
    'event_id,match_id,event_type,event_date,description,user_id,event_title,event_format,attended_at',
    `${ids.loggedEventId},${ids.matchId},hangout,2025-01-18T15:00:00Z,"Coffee, then a walk",,,,`,
    `${ids.attendedEventId},${ids.matchId},language,,,${p.userId},Norwegian evening,in-person,2025-02-01T17:00:00Z`,
  ].join('\n'),
  'checkins.csv': [
    'checkin_id,match_id,checkin_date,mood,notes,question_responses',
    `${ids.checkinId},${ids.matchId},2025-02-10T08:30:00Z,good,"Settling in,
still lonely some evenings.","{""q1"": 4}"`,
  ].join('\n'),
  'feedback.ndjson': `${JSON.stringify({ feedback_id: ids.feedbackId, match_id: ids.matchId, from_role: 'participant', rating: 0.75, feedback_text: 'Helpful.', submitted_at: '2025-02-15T19:45:00Z', categories: { communication: 1 } })}\n`,
  'skill_sessions.csv': [
    'session_id,skill_id,skill_name,teacher_id,learner_id,match_id,completed_at,format,teacher_rating,learner_comment',
    `${ids.skillSessionId},42,CV writing,${b.userId},${p.userId},${ids.matchId},2025-02-08T11:00:00Z,online,0.9,More confident now.`,
  ].join('\n'),
  'milestones.json': JSON.stringify([
    {
      milestone_id: 3,
      user_id: p.userId,
      milestone_title: 'First meeting',
      milestone_category: 'buddy-connection',
      reached_at: '2025-01-18T16:00:00Z',
      points: 10,
      progress: { current_step: 1, total_steps: 1 },
    },
  ]),
};

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('bin/buddy-stream import', () => {
  let stream: TestStream;
  let good: string;
  let bad: string;
  const count = async (sql: string) => (await stream.pool.query(sql)).rows[0].n as number;

  beforeAll(async () => {
    stream = await createTestStream('import');
    good = await mkdtemp(join(tmpdir(), 'buddy-import-'));
    bad = await mkdtemp(join(tmpdir(), 'buddy-import-bad-'));
    for (const [name, text] of Object.entries(FILES)) await writeFile(join(good, name), text);
    await writeFile(
      join(bad, 'users.csv'),
      [
        FILES['users.csv'],
        `not-a-uuid,secret.person-at-example.org,Secret,Person,admin,2025-01-06,,[oops,`,
      ].join('\n'),
    );
    await writeFile(join(bad, 'checkins.json'), '[{"checkin_id": "x"}, {"checkin_id": ');
    await writeFile(join(bad, 'notes.txt'), 'not an export');
  });
  afterAll(async () => {
    await stream?.close();
    await rm(good, { recursive: true, force: true });
    await rm(bad, { recursive: true, force: true });
  });

  it('reports every bad row by file, line, field and reason, without values, and publishes nothing of a bad file', async () => {
    const result = await runCli(['import', bad, '--yes', '--quiet'], stream.env);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    for (const expected of [
      'users.csv:4: id: invalid_format (expected uuid)',
      'users.csv:4: email: invalid_format (expected email)',
      'users.csv:4: role: invalid_value (expected one of participant|buddy)',
      'users.csv:4: joined_at: invalid_format (expected ISO-8601 date-time with zone)',
      'users.csv:4: interests: invalid_type (expected array, got string)',
      'checkins.json:1: checkin_id: invalid_format (expected uuid)',
      'checkins.json:1: (row): the file ends inside an object',
      'import: ignored notes.txt (not an export file name)',
    ])
      expect(lines).toContain(expected);
    expect(result.stdout).toMatch(/users\.csv: 3 rows, 2 events: 1 bad rows: file not published/);
    expect(result.stdout).not.toMatch(/secret|Secret|Person/);
    expect(result.stdout).toContain('import: nothing to publish');
    const offsets = await stream.admin.fetchTopicOffsets(stream.topic('buddy.user.registered'));
    expect(offsets.every((o) => o.high === '0')).toBe(true);
  });

  it('publishes the export as events with deterministic ids, framed by import.batch, and a second import changes nothing', async () => {
    const dry = await runCli(['import', good, '--dry-run'], stream.env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/dry run: would publish 10 events/);
    const first = await runCli(['import', good, '--yes', '--quiet'], stream.env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const batch = /published 10 events in batch ([0-9a-f-]{36})/.exec(first.stdout)?.[1];
    expect(batch).toBeDefined();

    const { processor } = await stream.startProcessor();
    await processor.waitUntilCaughtUp();
    expect(await count('SELECT count(*)::int AS n FROM buddy_system_events')).toBe(12);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM buddy_system_events WHERE payload->'metadata'->>'source' = 'import'`,
      ),
    ).toBe(12);
    const frames = await stream.pool
      .query(`SELECT payload->'data'->>'phase' AS phase, payload->'data'->'counts' AS counts
      FROM buddy_system_events WHERE event_type = 'buddy.import.batch' ORDER BY 1 DESC`);
    expect(frames.rows).toEqual([
      {
        phase: 'start',
        counts: {
          users: 2,
          matches: 1,
          events: 2,
          checkins: 1,
          feedback: 1,
          skill_sessions: 1,
          milestones: 1,
        },
      },
      {
        phase: 'complete',
        counts: {
          users: 2,
          matches: 1,
          events: 2,
          checkins: 1,
          feedback: 1,
          skill_sessions: 1,
          milestones: 1,
        },
      },
    ]);
    const match = (await stream.pool.query('SELECT status, end_reason, company_id::text FROM buddy_matches'))
      .rows;
    expect(match).toEqual([{ status: 'ended', end_reason: 'completed', company_id: ids.companyId }]);
    const checkin = (await stream.pool.query('SELECT notes FROM buddy_checkins')).rows[0];
    expect(checkin.notes).toBe('Settling in,\nstill lonely some evenings.');
    expect(await count('SELECT count(*)::int AS n FROM buddy_events')).toBe(3); // logged, attended, video call
    expect(
      await count(
        `SELECT count(*)::int AS n FROM kintell_sessions WHERE feedback_text = 'Learner: More confident now.'`,
      ),
    ).toBe(1);
    expect(
      await count(`SELECT count(*)::int AS n FROM journey_milestones WHERE milestone = 'buddy_milestone_3'`),
    ).toBe(1);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM user_external_ids WHERE metadata->'buddy_interests' = '["cooking", "hiking"]'`,
      ),
    ).toBe(1);

    const second = await runCli(['import', good, '--yes', '--quiet'], stream.env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`batch ${batch}`);
    await processor.waitUntilCaughtUp();
    await until('the re-import to be consumed', async () => processor.totals.records >= 24);
    expect(processor.totals.duplicates + processor.totals.duplicatesInBatch).toBeGreaterThanOrEqual(12);
    expect(await count('SELECT count(*)::int AS n FROM buddy_system_events')).toBe(12);
  });
});
