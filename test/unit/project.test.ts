import { describe, expect, it } from 'vitest';
import { parseEnvelope, type BuddyEvent } from '../../src/contracts/index.ts';
import { project } from '../../src/pipeline/project/index.ts';
import type { Lookup } from '../../src/pipeline/project/types.ts';
import { formalEventRowId } from '../../src/pipeline/ids.ts';
import { flatEnvelope, sampleIds, validData } from '../support/samples.ts';

const event = (type: keyof typeof validData, data: object = validData[type]): BuddyEvent => {
  const parsed = parseEnvelope(flatEnvelope(type, data, { metadata: { companyId: sampleIds.companyId } }));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.event;
};

const CSR = { participant: 'csr-participant', buddy: 'csr-buddy' };
const everything: Lookup = {
  user: (id) =>
    id === sampleIds.participantId ? CSR.participant : id === sampleIds.buddyId ? CSR.buddy : undefined,
  match: (id) =>
    id === sampleIds.matchId
      ? {
          participantId: CSR.participant,
          buddyId: CSR.buddy,
          participantBuddyId: sampleIds.participantId,
          companyId: null,
        }
      : undefined,
  info: (id) => (id === CSR.participant ? { languagePreference: 'uk' } : undefined),
};
const nothing: Lookup = { user: () => undefined, match: () => undefined, info: () => undefined };

describe('projections', () => {
  it('match.created becomes an active match with both people resolved and the tenant', () => {
    const result = project(event('buddy.match.created'), everything);
    expect(result).toMatchObject({
      kind: 'applied',
      rows: {
        buddy_matches: [
          {
            id: sampleIds.matchId,
            participant_id: CSR.participant,
            buddy_id: CSR.buddy,
            status: 'active',
            company_id: sampleIds.companyId,
          },
        ],
      },
      primaryBuddyId: sampleIds.participantId,
    });
  });

  it('parks on the first missing reference', () => {
    expect(project(event('buddy.match.created'), nothing)).toEqual({
      kind: 'parked',
      waitingFor: { kind: 'user', ref: sampleIds.participantId },
    });
    expect(project(event('buddy.checkin.completed'), nothing)).toEqual({
      kind: 'parked',
      waitingFor: { kind: 'match', ref: sampleIds.matchId },
    });
    expect(project(event('buddy.match.ended'), nothing)).toMatchObject({ waitingFor: { kind: 'match' } });
    expect(project(event('buddy.milestone.reached'), nothing)).toMatchObject({
      waitingFor: { kind: 'user' },
    });
  });

  it('a formal event gets one row per match, with the metadata extension; without a match none', () => {
    const attended = validData['buddy.event.attended'] as { eventId: string; matchId: string };
    const result = project(event('buddy.event.attended'), everything);
    expect(result.kind === 'applied' && result.rows.buddy_events?.[0]).toMatchObject({
      id: formalEventRowId(attended.eventId, attended.matchId),
      metadata: { source: 'event.attended', formal_event_id: attended.eventId },
    });
    const { matchId: _drop, ...withoutMatch } = validData['buddy.event.attended'] as Record<string, unknown>;
    const alone = project(event('buddy.event.attended', withoutMatch), everything);
    expect(alone).toEqual({
      kind: 'applied',
      rows: {},
      users: [CSR.participant],
      primaryBuddyId: sampleIds.participantId,
    });
  });

  it('a skill share joins the comments for Q2Q and keeps the skill in metadata', () => {
    const result = project(event('buddy.skill_share.completed'), everything);
    expect(result.kind).toBe('applied');
    if (result.kind !== 'applied') return;
    const session = result.rows.kintell_sessions![0]!;
    expect(session.session_type).toBe('skill_share');
    expect(session.participant_id).toBe(CSR.participant);
    expect(session.volunteer_id).toBe(CSR.buddy);
    expect(session.feedback_text).toMatch(/^Teacher: .+\n\nLearner: .+$/s);
    expect(session.metadata).toMatchObject({ skill_name: expect.any(String), skill_id: expect.any(Number) });
  });

  it('check-ins and feedback name both people of the match as touched', () => {
    for (const type of [
      'buddy.checkin.completed',
      'buddy.feedback.submitted',
      'buddy.event.logged',
    ] as const) {
      const result = project(event(type), everything);
      expect(result.kind === 'applied' && result.users).toEqual([CSR.participant, CSR.buddy]);
      expect(result.kind === 'applied' && result.primaryBuddyId).toBe(sampleIds.participantId);
    }
  });
});
