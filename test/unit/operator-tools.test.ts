import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/contracts/index.ts';
import { parsePosition, replayMessage, selects } from '../../src/dlq/select.ts';
import { scrubPayload } from '../../src/gdpr/scrub.ts';
import { splitJsonObjects } from '../../src/import/json-objects.ts';
import { rowToEvents } from '../../src/import/rows.ts';
import { buildRecord } from '../../src/producer/record.ts';
import { flatEnvelope, busEnvelope, sampleIds, sampleUsers, validData } from '../support/samples.ts';

async function split(...chunks: string[]) {
  const out = [];
  for await (const o of splitJsonObjects(Readable.from(chunks))) out.push(o);
  return out;
}

describe('import: JSON splitting', () => {
  it('splits an array or NDJSON across chunk boundaries, with the line each object starts on', async () => {
    expect(await split('[{"a": "}{", "b": [1, {"c": 2}]},\n', '{"d": "x\\"', '"}\n]')).toEqual([
      { line: 1, text: '{"a": "}{", "b": [1, {"c": 2}]}' },
      { line: 2, text: '{"d": "x\\""}' },
    ]);
    expect((await split('{"a":1}\n\n{"b":2}\n')).map((o) => o.line)).toEqual([1, 3]);
    await expect(split('[1, 2]')).rejects.toThrow(/expected an object/);
  });
});

describe('import: rows to events', () => {
  it('maps CSV text through the contract: ids from the row, arrays from JSON, nested objects flattened', () => {
    const row = {
      session_id: sampleIds.skillSessionId,
      skill_id: '42',
      skill_name: 'CV',
      teacher_id: sampleIds.buddyId,
      learner_id: sampleIds.participantId,
      completed_at: '2025-02-08T11:00:00Z',
      feedback_teacher_rating: '0.9',
      learner_comment: 'good',
      sdg_goals: '[4, 8]',
      format: '',
    };
    const result = rowToEvents('skill_sessions', row, true);
    expect(result).toMatchObject({
      ok: true,
      drafts: [{ type: 'buddy.skill_share.completed', timestamp: '2025-02-08T11:00:00.000Z' }],
    });
    if (!result.ok) return;
    expect(result.drafts[0]!.data).toEqual({
      sessionId: sampleIds.skillSessionId,
      skillId: 42,
      skillName: 'CV',
      teacherId: sampleIds.buddyId,
      learnerId: sampleIds.participantId,
      completedAt: '2025-02-08T11:00:00Z',
      feedback: { teacherRating: 0.9, learnerComment: 'good' },
      sdgGoals: [4, 8],
    });
    // The same row gives the same id; another row another.
    const again = rowToEvents('skill_sessions', row, true);
    expect(again.ok && again.drafts[0]!.id).toBe(result.drafts[0]!.id);
  });

  it('reports each bad field by its column name, never the value', () => {
    const result = rowToEvents(
      'users',
      { id: 'x', email: 'olena(at)example.org', role: 'buddy', joined_at: '' },
      true,
    );
    expect(result).toEqual({
      ok: false,
      issues: [
        { field: 'id', reason: 'invalid_format (expected uuid)' },
        { field: 'email', reason: 'invalid_format (expected email)' },
        { field: 'joined_at', reason: 'invalid_type (required)' },
      ],
    });
    expect(JSON.stringify(result)).not.toContain('olena');
  });
});

describe('producer: records', () => {
  it('keys by the primary user and validates; a bus envelope parses back to the same event', () => {
    const record = buildRecord('buddy.match.created', validData['buddy.match.created'], {
      envelope: 'bus',
      topicPrefix: 'p.',
    });
    expect(record).toMatchObject({ topic: 'p.buddy.match.created', key: sampleIds.participantId });
    const parsed = parseEnvelope(JSON.parse(record.value.toString()));
    expect(parsed).toMatchObject({ ok: true, envelope: 'bus', event: { id: record.eventId } });
    expect(() =>
      buildRecord('buddy.checkin.completed', {
        ...validData['buddy.checkin.completed'],
        mood: 'fine',
      } as never),
    ).toThrow(/data\.mood: invalid_value/);
  });
});

describe('gdpr: scrubbing a stored event', () => {
  const pii = {
    emails: [sampleUsers.participant.email],
    names: ['Olena', 'Kovalenko'],
    replacementEmail: 'erased-1@erased.invalid',
  };

  it('drops the texts and profile fields, keeps a valid email, masks the rest, and the event still parses', () => {
    const user = flatEnvelope('buddy.user.registered', sampleUsers.participant, {
      metadata: { note: 'Olena signed up' },
    });
    const scrubbed = scrubPayload(user, pii, true);
    expect(scrubbed.changed).toBe(true);
    const text = JSON.stringify(scrubbed.payload);
    for (const gone of ['Olena', 'Kovalenko', sampleUsers.participant.email, 'Oslo', 'hiking'])
      expect(text).not.toContain(gone);
    expect(text).toContain('[name] signed up');
    expect(parseEnvelope(scrubbed.payload)).toMatchObject({
      ok: true,
      event: { data: { email: 'erased-1@erased.invalid' } },
    });

    const session = busEnvelope('buddy.skill_share.completed', validData['buddy.skill_share.completed']);
    const cleaned = scrubPayload(session, pii, true).payload as {
      data: { feedback: Record<string, unknown> };
    };
    expect(cleaned.data.feedback).toEqual({
      teacherRating: 0.9,
      learnerRating: 0.75,
      learnerProgress: 'good-progress',
    });
    expect(parseEnvelope(cleaned).ok).toBe(true);
    expect(
      scrubPayload(flatEnvelope('buddy.match.created', validData['buddy.match.created']), pii, true).changed,
    ).toBe(false);
  });
});

describe('dlq: choosing records', () => {
  const record = {
    partition: 2,
    offset: '17',
    key: null,
    value: Buffer.from('{}'),
    timestamp: '0',
    headers: {
      '__connect.errors.topic': 'buddy.checkin.completed',
      '__connect.errors.class.name': 'buddy-stream.park_timeout',
    },
  };
  it('selects by position or reason, and re-publishes to the original topic marked as replayed', () => {
    expect(parsePosition('2:017')).toEqual({ partition: 2, offset: '17' });
    expect(() => parsePosition('2-17')).toThrow(/partition:offset/);
    expect(selects({ offsets: ['2:17'] }, record)).toBe(true);
    expect(selects({ reasons: ['buddy-stream.park_timeout'] }, record)).toBe(true);
    expect(selects({ reasons: ['schema_violation'] }, record)).toBe(false);
    expect(replayMessage('dlq.buddy', record)).toEqual({
      topic: 'buddy.checkin.completed',
      message: {
        key: null,
        value: record.value,
        headers: { 'buddy-stream.replayed-from-dlq': 'dlq.buddy/2/17' },
      },
    });
  });
});
