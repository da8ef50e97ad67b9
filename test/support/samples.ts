import { randomUUID } from 'node:crypto';
import type { EventType } from '../../src/contracts/index.ts';

/**
 * Realistic, mutually consistent sample events: one participant and one buddy, matched once, with
 * one of each activity. Reuse them anywhere a valid event is needed; every id is fixed so tests can
 * assert on rows, and `flatEnvelope` / `busEnvelope` wrap a payload into either wire format.
 */

export const sampleIds = {
  companyId: '0b6f3a5e-8d1c-4c2a-9f3e-1a2b3c4d5e6f',
  programId: '5d2c9a71-3e4f-4b8a-8c6d-7e8f9a0b1c2d',
  campaignId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  beneficiaryGroupId: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  participantId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  buddyId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  matchId: 'a8098c1a-f86e-41d3-b2f6-7a1e2d3c4b5a',
  loggedEventId: 'b3c4d5e6-f7a8-4b9c-8d0e-1f2a3b4c5d6e',
  attendedEventId: 'c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f',
  skillSessionId: 'd5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80',
  checkinId: 'e6f7a8b9-c0d1-4e2f-9a3b-4c5d6e7f8091',
  feedbackId: 'f7a8b9c0-d1e2-4f3a-8b4c-5d6e7f8091a2',
  importBatchId: '1e2d3c4b-5a69-4788-9766-554433221100',
} as const;

const ids = sampleIds;

/** The two users of the sample match, as `buddy.user.registered` data. */
export const sampleUsers = {
  participant: {
    userId: ids.participantId,
    email: 'olena.kovalenko@example.org',
    firstName: 'Olena',
    lastName: 'Kovalenko',
    role: 'participant',
    joinedAt: '2025-01-06T09:00:00.000Z',
    languagePreference: 'uk',
    interests: ['cooking', 'hiking'],
    location: 'Oslo',
  },
  buddy: {
    userId: ids.buddyId,
    email: 'ingrid.hansen@example.org',
    firstName: 'Ingrid',
    lastName: 'Hansen',
    role: 'buddy',
    joinedAt: '2024-11-18T12:30:00.000Z',
    languagePreference: 'no',
    interests: ['hiking', 'board games'],
    location: 'Oslo',
  },
} as const;

/** Valid `data` for every event type. Date-times are already in canonical UTC form (`.000Z`). */
export const validData = {
  'buddy.user.registered': sampleUsers.participant,
  'buddy.user.updated': {
    ...sampleUsers.participant,
    location: 'Bergen',
    interests: ['cooking', 'climbing'],
  },
  'buddy.match.created': {
    matchId: ids.matchId,
    participantId: ids.participantId,
    buddyId: ids.buddyId,
    matchedAt: '2025-01-10T10:00:00.000Z',
    matchingCriteria: { language: 'en', interests: ['hiking'], location: 'Oslo' },
    programId: ids.programId,
    campaignId: ids.campaignId,
    beneficiaryGroupId: ids.beneficiaryGroupId,
  },
  'buddy.event.logged': {
    eventId: ids.loggedEventId,
    matchId: ids.matchId,
    eventType: 'hangout',
    eventDate: '2025-01-18T15:00:00.000Z',
    description: 'Coffee and a walk around Frogner park',
    location: 'Oslo',
    attendees: [ids.participantId, ids.buddyId],
  },
  'buddy.event.attended': {
    eventId: ids.attendedEventId,
    userId: ids.participantId,
    matchId: ids.matchId,
    eventTitle: 'Norwegian conversation evening',
    eventType: 'language',
    eventFormat: 'in-person',
    attendedAt: '2025-02-01T17:00:00.000Z',
    location: 'Deichman Bjørvika',
    durationMinutes: 90,
    attendeeCount: 24,
    organizer: 'Oslo Buddy Program',
    categories: ['language', 'community'],
    sdgGoals: [4, 10],
  },
  'buddy.skill_share.completed': {
    sessionId: ids.skillSessionId,
    skillId: 42,
    skillName: 'CV writing',
    skillCategory: 'career',
    teacherId: ids.buddyId,
    learnerId: ids.participantId,
    matchId: ids.matchId,
    completedAt: '2025-02-08T11:00:00.000Z',
    scheduledAt: '2025-02-08T10:00:00.000Z',
    durationMinutes: 60,
    format: 'online',
    proficiencyLevel: 'beginner',
    feedback: {
      teacherRating: 0.9,
      learnerRating: 0.75,
      teacherComment: 'Olena picked up the structure quickly.',
      learnerComment: 'I feel more confident applying for jobs now.',
      learnerProgress: 'good-progress',
    },
    sdgGoals: [4, 8],
    valuationPoints: 50,
  },
  'buddy.checkin.completed': {
    checkinId: ids.checkinId,
    matchId: ids.matchId,
    checkinDate: '2025-02-10T08:30:00.000Z',
    mood: 'good',
    notes: 'Settling in well, still lonely some evenings.',
    questionResponses: { q1: 4, q2: 'yes', q3: ['language', 'work'] },
  },
  'buddy.feedback.submitted': {
    feedbackId: ids.feedbackId,
    matchId: ids.matchId,
    fromRole: 'participant',
    rating: 0.75,
    feedbackText: 'Ingrid helps me practise Norwegian and understand the job market.',
    submittedAt: '2025-02-15T19:45:00.000Z',
    categories: { communication: 1, helpfulness: 0.75, engagement: 0.5 },
  },
  'buddy.milestone.reached': {
    milestoneId: 3,
    userId: ids.participantId,
    milestoneTitle: 'First meeting',
    milestoneCategory: 'buddy-connection',
    reachedAt: '2025-01-18T16:00:00.000Z',
    points: 10,
    badgeIcon: 'handshake',
    targetRole: 'participant',
    progress: { currentStep: 1, totalSteps: 1, completedSteps: ['meet-your-buddy'] },
    metadata: { isFirstTime: true, streakCount: 1, relatedEntities: [{ type: 'match', id: ids.matchId }] },
  },
  'buddy.match.ended': {
    matchId: ids.matchId,
    participantId: ids.participantId,
    buddyId: ids.buddyId,
    endedAt: '2025-07-10T10:00:00.000Z',
    duration: 181,
    reason: 'completed',
    reasonDetails: 'Program period finished.',
    sessionsCompleted: 12,
    eventsAttended: 9,
    feedback: { participantSatisfaction: 0.9, buddySatisfaction: 0.8 },
  },
  'buddy.import.batch': {
    batchId: ids.importBatchId,
    phase: 'complete',
    counts: { users: 2, matches: 1, events: 1, checkins: 1, feedback: 1, skill_sessions: 1, milestones: 1 },
  },
} as const satisfies Record<EventType, object>;

/** Envelope fields other than `type` and `data`. A key set to `undefined` is left out of the envelope. */
export interface EnvelopeOverrides {
  id?: string | undefined;
  version?: string | undefined;
  timestamp?: string | undefined;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/** Default event time of sample envelopes. */
export const SAMPLE_TIMESTAMP = '2025-03-01T12:00:00.000Z';

/** Wire objects keep the key order producers use; keys set to `undefined` are dropped. */
function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** Any string is allowed so tests can build envelopes of unknown types; known types autocomplete. */
export type SampleEventType = EventType | (string & {});

/**
 * `{ id, type, version, timestamp, correlationId?, causationId?, metadata?, data }`.
 * `id` defaults to a fresh random UUID (so repeated calls are distinct events); pass one to pin it.
 */
export function flatEnvelope(
  type: SampleEventType,
  data: unknown,
  overrides: EnvelopeOverrides = {},
): Record<string, unknown> {
  return defined({ id: randomUUID(), type, version: 'v1', timestamp: SAMPLE_TIMESTAMP, ...overrides, data });
}

/** `{ type, data, metadata: { id, version, timestamp, correlationId?, causationId?, metadata? } }`. */
export function busEnvelope(
  type: SampleEventType,
  data: unknown,
  overrides: EnvelopeOverrides = {},
): Record<string, unknown> {
  const metadata = defined({ id: randomUUID(), version: 'v1', timestamp: SAMPLE_TIMESTAMP, ...overrides });
  return { type, data, metadata };
}
