import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  eventDataSchemas,
  parseEnvelope,
  primaryUserOf,
  type BuddyEvent,
  type EventType,
  type ParseEnvelopeResult,
} from '../../src/contracts/index.ts';
import {
  busEnvelope,
  flatEnvelope,
  sampleIds,
  validData,
  type EnvelopeOverrides,
} from '../support/samples.ts';

const EVENT_ID = '2f1d9c3e-6b7a-4e58-9d0c-1b2a3c4d5e6f';
const CORRELATION_ID = '8e7d6c5b-4a39-4281-b0f1-e2d3c4b5a697';
const HEADER = {
  id: EVENT_ID,
  timestamp: '2025-03-01T12:00:00.000Z',
  correlationId: CORRELATION_ID,
  metadata: { companyId: sampleIds.companyId, source: 'import', importFile: 'matches.csv' },
} satisfies EnvelopeOverrides;

const ENVELOPES = [
  { kind: 'flat', build: flatEnvelope },
  { kind: 'bus', build: busEnvelope },
] as const;

function expectOk(result: ParseEnvelopeResult): { envelope: 'flat' | 'bus'; event: BuddyEvent } {
  if (!result.ok) throw new Error(`expected the event to be accepted, got ${result.code}: ${result.reason}`);
  return result;
}

function expectError(result: ParseEnvelopeResult): { code: string; reason: string } {
  if (result.ok) throw new Error('expected the event to be rejected');
  return result;
}

/** A deep copy with one change, so the shared samples stay untouched. */
function withChange(
  type: EventType,
  change: (data: Record<string, unknown>) => void,
): Record<string, unknown> {
  const data = structuredClone(validData[type]) as Record<string, unknown>;
  change(data);
  return data;
}

const INVALID: Record<
  EventType,
  { change: string; path: string; apply: (d: Record<string, unknown>) => void }
> = {
  'buddy.match.created': {
    change: 'participantId is not a UUID',
    path: 'data.participantId',
    apply: (d) => (d['participantId'] = 'participant-17'),
  },
  'buddy.match.ended': {
    change: 'reason outside the enum',
    path: 'data.reason',
    apply: (d) => (d['reason'] = 'got_bored'),
  },
  'buddy.event.logged': {
    change: 'eventDate missing',
    path: 'data.eventDate',
    apply: (d) => delete d['eventDate'],
  },
  'buddy.event.attended': {
    change: 'an SDG goal of 18',
    path: 'data.sdgGoals[1]',
    apply: (d) => (d['sdgGoals'] = [4, 18]),
  },
  'buddy.skill_share.completed': {
    change: 'teacherRating 1.2',
    path: 'data.feedback.teacherRating',
    apply: (d) => ((d['feedback'] as Record<string, unknown>)['teacherRating'] = 1.2),
  },
  'buddy.checkin.completed': {
    change: 'mood outside the enum',
    path: 'data.mood',
    apply: (d) => (d['mood'] = 'fine'),
  },
  'buddy.feedback.submitted': {
    change: 'a legacy 1..5 rating',
    path: 'data.rating',
    apply: (d) => (d['rating'] = 4),
  },
  'buddy.milestone.reached': {
    change: 'milestoneId is a UUID, not a positive int',
    path: 'data.milestoneId',
    apply: (d) => (d['milestoneId'] = sampleIds.matchId),
  },
  'buddy.user.registered': {
    change: 'email is not an email address',
    path: 'data.email',
    apply: (d) => (d['email'] = 'olena at example dot org'),
  },
  'buddy.user.updated': {
    change: 'role outside the enum',
    path: 'data.role',
    apply: (d) => (d['role'] = 'admin'),
  },
  'buddy.import.batch': {
    change: 'a negative count',
    path: 'data.counts.users',
    apply: (d) => ((d['counts'] as Record<string, unknown>)['users'] = -1),
  },
};

describe.each(EVENT_TYPES)('%s', (type) => {
  it('is accepted in both envelopes and yields the same canonical event', () => {
    const flat = expectOk(parseEnvelope(flatEnvelope(type, validData[type], HEADER)));
    const bus = expectOk(parseEnvelope(busEnvelope(type, validData[type], HEADER)));

    expect(flat.envelope).toBe('flat');
    expect(bus.envelope).toBe('bus');
    expect(flat.event).toEqual({
      id: EVENT_ID,
      type,
      version: 'v1',
      timestamp: '2025-03-01T12:00:00.000Z',
      correlationId: CORRELATION_ID,
      metadata: HEADER.metadata,
      data: validData[type],
    });
    // Same keys in the same order: downstream hashes and stores the canonical JSON.
    expect(JSON.stringify(bus.event)).toBe(JSON.stringify(flat.event));
  });

  it.each(ENVELOPES)(`rejects ${INVALID[type].change} ($kind envelope)`, ({ kind, build }) => {
    const wire = build(type, withChange(type, INVALID[type].apply), HEADER);
    const error = expectError(parseEnvelope(wire));

    expect(error.code).toBe('schema_violation');
    expect(error.reason).toContain(`${INVALID[type].path}:`);
    expect(error.reason).toContain(`(${kind})`);
  });

  it('has a data schema that strips unknown keys', () => {
    const parsed = eventDataSchemas[type].parse({ ...validData[type], internalScore: 7 });
    expect(parsed).not.toHaveProperty('internalScore');
  });
});

describe('parseEnvelope: envelope detection and error codes', () => {
  it.each(ENVELOPES)('returns no_id when the $kind envelope has no id', ({ build }) => {
    const missing = expectError(
      parseEnvelope(build('buddy.match.created', validData['buddy.match.created'], { id: undefined })),
    );
    expect(missing.code).toBe('no_id');

    const wire = build('buddy.match.created', validData['buddy.match.created']);
    const holder = (wire['metadata'] ?? wire) as Record<string, unknown>;
    holder['id'] = null;
    expect(expectError(parseEnvelope(wire)).code).toBe('no_id');
  });

  it('returns schema_violation, not no_id, for an id that is present but not a UUID', () => {
    const error = expectError(
      parseEnvelope(flatEnvelope('buddy.match.created', validData['buddy.match.created'], { id: 'evt-1' })),
    );
    expect(error.code).toBe('schema_violation');
    expect(error.reason).toContain('id: invalid_format (expected uuid)');
  });

  it.each(ENVELOPES)('returns unknown_type for a type outside the catalog ($kind envelope)', ({ build }) => {
    const error = expectError(parseEnvelope(build('buddy.match.exploded', validData['buddy.match.created'])));
    expect(error.code).toBe('unknown_type');
    expect(error.reason).not.toContain('exploded');
  });

  it('returns bad_envelope for values that are not envelopes', () => {
    for (const value of [
      null,
      'buddy.match.created',
      42,
      [flatEnvelope('buddy.match.created', {})],
      { hello: 1 },
    ]) {
      expect(expectError(parseEnvelope(value)).code).toBe('bad_envelope');
    }
    const noType = flatEnvelope('buddy.match.created', validData['buddy.match.created']);
    delete noType['type'];
    expect(expectError(parseEnvelope(noType)).code).toBe('bad_envelope');
  });

  it('requires data', () => {
    const wire = flatEnvelope('buddy.match.created', undefined);
    const error = expectError(parseEnvelope(wire));
    expect(error.code).toBe('schema_violation');
    expect(error.reason).toContain('data: invalid_type (required)');
  });

  it('defaults version to v1 and keeps a given one', () => {
    const data = validData['buddy.checkin.completed'];
    const defaulted = expectOk(
      parseEnvelope(busEnvelope('buddy.checkin.completed', data, { version: undefined })),
    );
    expect(defaulted.event.version).toBe('v1');
    const given = expectOk(parseEnvelope(flatEnvelope('buddy.checkin.completed', data, { version: 'v2' })));
    expect(given.event.version).toBe('v2');
  });

  it('strips unknown keys from data and the envelope, but keeps every key of metadata', () => {
    const data = {
      ...validData['buddy.feedback.submitted'],
      internalScore: 7,
      categories: { communication: 1, tone: 0.2 },
    };
    const wire = { ...flatEnvelope('buddy.feedback.submitted', data, HEADER), deliveryId: 'abc' };
    const { event } = expectOk(parseEnvelope(wire));

    expect(event).not.toHaveProperty('deliveryId');
    expect(event.data).not.toHaveProperty('internalScore');
    expect(event.data).toMatchObject({ categories: { communication: 1 } });
    expect((event.data as { categories: object }).categories).not.toHaveProperty('tone');
    expect(event.metadata).toEqual(HEADER.metadata);
  });

  it('validates metadata.companyId as a UUID', () => {
    const wire = busEnvelope('buddy.match.created', validData['buddy.match.created'], {
      metadata: { companyId: 'acme' },
    });
    const error = expectError(parseEnvelope(wire));
    expect(error.code).toBe('schema_violation');
    expect(error.reason).toContain('metadata.metadata.companyId: invalid_format');
  });
});

describe('parseEnvelope: date-times', () => {
  it.each(ENVELOPES)('normalises a +02:00 timestamp to UTC ($kind envelope)', ({ build }) => {
    const data = { ...validData['buddy.match.created'], matchedAt: '2025-01-10T05:00:00.250-05:00' };
    const { event } = expectOk(
      parseEnvelope(build('buddy.match.created', data, { timestamp: '2025-03-01T14:00:00+02:00' })),
    );

    expect(event.timestamp).toBe('2025-03-01T12:00:00.000Z');
    expect(event.data).toMatchObject({ matchedAt: '2025-01-10T10:00:00.250Z' });
  });

  it.each([
    ['a date without time', '2025-03-01'],
    ['a date-time without a zone', '2025-03-01T12:00:00'],
    ['a space instead of T', '2025-03-01 12:00:00Z'],
    ['an impossible date', '2025-02-30T12:00:00Z'],
    ['words', 'yesterday'],
    ['epoch milliseconds', 1740830400000],
  ])('rejects %s', (_label, timestamp) => {
    const wire = flatEnvelope('buddy.match.created', validData['buddy.match.created']);
    wire['timestamp'] = timestamp;
    const error = expectError(parseEnvelope(wire));
    expect(error.code).toBe('schema_violation');
    expect(error.reason).toMatch(/^[^;]*\(flat\): timestamp: invalid_(format|type)/);
  });
});

describe('parseEnvelope: UUIDs', () => {
  it.each([
    ['v1', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'],
    ['v4', '550e8400-e29b-41d4-a716-446655440000'],
    ['v5', '886313e1-3b8a-5372-9b90-0c9aee199e5d'],
    ['v7', '01890a5d-ac96-774b-bcce-b302099a8057'],
    // The first 32 hex digits of sha256("hello"): neither version nor variant bits are set.
    ['hash-derived', '2cf24dba-5fb0-a30e-26e8-3b2ac5b9e29e'],
    ['hash-derived, variant c', 'e3b0c442-98fc-1c14-c9af-bf4c8996fb92'],
    ['upper case', '550E8400-E29B-41D4-A716-446655440000'],
  ])('accepts a %s UUID as id and in data (canonical: lower case)', (_label, id) => {
    const data = { ...validData['buddy.match.created'], matchId: id };
    const { event } = expectOk(parseEnvelope(flatEnvelope('buddy.match.created', data, { id })));
    expect(event.id).toBe(id.toLowerCase());
    expect(event.data).toMatchObject({ matchId: id.toLowerCase() });
  });

  it.each([
    '550e8400e29b41d4a716446655440000',
    '550e8400-e29b-41d4-a716-44665544000g',
    '{550e8400-e29b-41d4-a716-446655440000}',
  ])('rejects %s', (id) => {
    expect(
      expectError(
        parseEnvelope(flatEnvelope('buddy.match.created', validData['buddy.match.created'], { id })),
      ).code,
    ).toBe('schema_violation');
  });
});

describe('parseEnvelope: reasons never echo values', () => {
  const EMAIL = 'olena.kovalenko@example.org';

  it.each([
    ['a UUID field', 'buddy.match.created', { participantId: EMAIL }, 'data.participantId: invalid_format'],
    [
      'a number field',
      'buddy.feedback.submitted',
      { rating: EMAIL },
      'data.rating: invalid_type (expected number, got string)',
    ],
    [
      'an enum field',
      'buddy.checkin.completed',
      { mood: EMAIL },
      'data.mood: invalid_value (expected one of great|',
    ],
    ['a date-time field', 'buddy.user.registered', { joinedAt: EMAIL }, 'data.joinedAt: invalid_format'],
    ['a record key', 'buddy.import.batch', { counts: { [EMAIL]: -1 } }, 'data.counts[*]: too_small'],
  ] as const)('for an email in %s', (_label, type, change, expected) => {
    const data = { ...validData[type], ...change };
    for (const { build } of ENVELOPES) {
      const error = expectError(parseEnvelope(build(type, data)));
      expect(error.code).toBe('schema_violation');
      expect(error.reason).toContain(expected);
      expect(error.reason).not.toContain(EMAIL);
      expect(error.reason).not.toContain('olena');
    }
  });

  it('does not echo over-long free text either', () => {
    const reasonDetails = `Contact me at ${EMAIL} ${'x'.repeat(500)}`;
    const data = { ...validData['buddy.match.ended'], reasonDetails };
    const error = expectError(parseEnvelope(flatEnvelope('buddy.match.ended', data)));
    expect(error.reason).toContain('data.reasonDetails: too_big (length must be <= 500)');
    expect(error.reason).not.toContain(EMAIL);
  });
});

describe('primaryUserOf', () => {
  const expected: Record<EventType, ReturnType<typeof primaryUserOf>> = {
    'buddy.match.created': { buddyUserId: sampleIds.participantId },
    'buddy.match.ended': { buddyUserId: sampleIds.participantId },
    'buddy.event.logged': { matchId: sampleIds.matchId },
    'buddy.event.attended': { buddyUserId: sampleIds.participantId },
    'buddy.skill_share.completed': { buddyUserId: sampleIds.participantId },
    'buddy.checkin.completed': { matchId: sampleIds.matchId },
    'buddy.feedback.submitted': { matchId: sampleIds.matchId },
    'buddy.milestone.reached': { buddyUserId: sampleIds.participantId },
    'buddy.user.registered': { buddyUserId: sampleIds.participantId },
    'buddy.user.updated': { buddyUserId: sampleIds.participantId },
    'buddy.import.batch': null,
  };

  it.each(EVENT_TYPES)('%s', (type) => {
    const { event } = expectOk(parseEnvelope(flatEnvelope(type, validData[type])));
    expect(primaryUserOf(event)).toEqual(expected[type]);
  });

  it('follows the learner, not the teacher, of a skill share', () => {
    const data = {
      ...validData['buddy.skill_share.completed'],
      teacherId: sampleIds.participantId,
      learnerId: sampleIds.buddyId,
    };
    const { event } = expectOk(parseEnvelope(flatEnvelope('buddy.skill_share.completed', data)));
    expect(primaryUserOf(event)).toEqual({ buddyUserId: sampleIds.buddyId });
  });
});
