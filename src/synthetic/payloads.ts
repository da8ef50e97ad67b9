// The `data` of each synthetic event type: realistic values within the catalog's limits (lengths,
// ranges, enums). Pure given the PRNG; when events happen is timeline.ts's business.
import type { EventDataMap, MatchEndReason } from '../contracts/index.ts';
import {
  CHECKIN_NOTES,
  END_REASON_DETAILS,
  FEEDBACK_TEXTS,
  INFORMAL_ACTIVITIES,
  MILESTONES,
  SKILLS,
  SKILL_COMMENTS,
  type FORMAL_EVENTS,
  type Lang,
} from './content.ts';
import { DAY, MINUTE, type MatchPlan, type Profile, type UserPlan } from './plan.ts';
import type { Random } from './random.ts';

type Data<K extends keyof EventDataMap> = EventDataMap[K];
export type MilestoneTemplate = (typeof MILESTONES)[keyof typeof MILESTONES];
export type FormalEventTemplate = (typeof FORMAL_EVENTS)[number];

export const iso = (ms: number) => new Date(ms).toISOString();

/** A rating as upstream sends it: normalised to 0..1, in steps of 0.05. */
const rating = (rng: Random, low = 8) => rng.int(low, 20) / 20;

const LANGS: readonly (readonly [Lang, number])[] = [
  ['en', 4],
  ['uk', 3],
  ['no', 3],
];

export function profileData(user: UserPlan, profile: Profile): Data<'buddy.user.registered'> {
  const data: Data<'buddy.user.registered'> = {
    userId: user.id,
    email: profile.email,
    role: profile.role,
    joinedAt: iso(profile.joinedAt),
  };
  if (profile.firstName !== undefined) data.firstName = profile.firstName;
  if (profile.lastName !== undefined) data.lastName = profile.lastName;
  if (profile.languagePreference !== undefined) data.languagePreference = profile.languagePreference;
  if (profile.interests !== undefined) data.interests = profile.interests;
  if (profile.location !== undefined) data.location = profile.location;
  return data;
}

export function matchCreatedData(rng: Random, match: MatchPlan): Data<'buddy.match.created'> {
  const data: Data<'buddy.match.created'> = {
    matchId: match.id,
    participantId: match.participant.id,
    buddyId: match.buddy.id,
    matchedAt: iso(match.matchedAt),
  };
  if (rng.chance(0.8)) {
    data.matchingCriteria = {
      language: match.language,
      interests: match.participant.profile.interests?.slice(0, 2) ?? [],
      location: match.participant.profile.location ?? 'Oslo',
    };
  }
  return data;
}

export function matchEndedData(
  rng: Random,
  match: MatchPlan,
  at: number,
  reason: MatchEndReason,
): Data<'buddy.match.ended'> {
  const data: Data<'buddy.match.ended'> = {
    matchId: match.id,
    participantId: match.participant.id,
    buddyId: match.buddy.id,
    endedAt: iso(at),
    duration: Math.max(1, Math.round((at - match.matchedAt) / DAY)),
    reason,
  };
  if (rng.chance(0.6)) data.reasonDetails = rng.pick(END_REASON_DETAILS[reason]!);
  if (rng.chance(0.7)) data.sessionsCompleted = rng.int(0, 30);
  if (rng.chance(0.5)) data.eventsAttended = rng.int(0, 10);
  if (rng.chance(0.5)) {
    data.feedback = { participantSatisfaction: rating(rng, 4), buddySatisfaction: rating(rng, 4) };
  }
  return data;
}

export function eventLoggedData(rng: Random, match: MatchPlan, at: number): Data<'buddy.event.logged'> {
  const activity = rng.weighted(INFORMAL_ACTIVITIES.map((a, n) => [a, n < 2 ? 4 : 1] as const));
  const data: Data<'buddy.event.logged'> = {
    eventId: rng.uuid(),
    matchId: match.id,
    eventType: activity.type,
    eventDate: iso(at),
  };
  if (rng.chance(0.85)) data.description = rng.pick(activity.descriptions);
  if (rng.chance(0.7)) data.location = rng.pick(activity.locations);
  if (rng.chance(0.5)) data.attendees = [match.participant.id, match.buddy.id];
  return data;
}

export function checkinData(rng: Random, match: MatchPlan, at: number): Data<'buddy.checkin.completed'> {
  const data: Data<'buddy.checkin.completed'> = {
    checkinId: rng.uuid(),
    matchId: match.id,
    checkinDate: iso(at),
  };
  if (rng.chance(0.9)) {
    data.mood = rng.weighted([
      ['great', 2],
      ['good', 4],
      ['okay', 3],
      ['struggling', 1.5],
      ['difficult', 0.5],
    ] as const);
  }
  // Some check-ins carry no notes at all.
  if (rng.chance(0.7)) data.notes = rng.pick(CHECKIN_NOTES[rng.weighted(LANGS)]);
  if (rng.chance(0.3)) {
    data.questionResponses = { sleep: rng.int(1, 5), social_contact: rng.chance(0.6) ? 'yes' : 'no' };
  }
  return data;
}

export function feedbackData(
  rng: Random,
  match: MatchPlan,
  fromRole: 'participant' | 'buddy',
  at: number,
): Data<'buddy.feedback.submitted'> {
  const data: Data<'buddy.feedback.submitted'> = {
    feedbackId: rng.uuid(),
    matchId: match.id,
    fromRole,
    rating: rating(rng),
    submittedAt: iso(at),
  };
  if (rng.chance(0.8)) data.feedbackText = rng.pick(FEEDBACK_TEXTS[fromRole][rng.weighted(LANGS)]);
  if (rng.chance(0.5)) {
    data.categories = { communication: rating(rng), helpfulness: rating(rng), engagement: rating(rng, 4) };
  }
  return data;
}

/** The buddy teaches, the participant learns; most sessions belong to the match. */
export function skillShareData(
  rng: Random,
  match: MatchPlan,
  completedAt: number,
): Data<'buddy.skill_share.completed'> {
  const skill = rng.pick(SKILLS);
  const durationMinutes = rng.pick([30, 45, 60, 90]);
  const data: Data<'buddy.skill_share.completed'> = {
    sessionId: rng.uuid(),
    skillId: skill.id,
    skillName: skill.name,
    teacherId: match.buddy.id,
    learnerId: match.participant.id,
    completedAt: iso(completedAt),
  };
  if (rng.chance(0.9)) data.skillCategory = skill.category;
  if (rng.chance(0.7)) data.matchId = match.id;
  if (rng.chance(0.8)) data.scheduledAt = iso(completedAt - durationMinutes * MINUTE);
  if (rng.chance(0.9)) data.durationMinutes = durationMinutes;
  if (rng.chance(0.9)) {
    data.format = rng.weighted([
      ['online', 4],
      ['in-person', 4],
      ['hybrid', 2],
    ] as const);
  }
  if (rng.chance(0.7)) data.proficiencyLevel = rng.pick(['beginner', 'intermediate', 'advanced'] as const);
  if (rng.chance(0.75)) {
    const feedback: NonNullable<typeof data.feedback> = {};
    if (rng.chance(0.8)) feedback.teacherRating = rating(rng);
    if (rng.chance(0.8)) feedback.learnerRating = rating(rng);
    if (rng.chance(0.6)) feedback.teacherComment = rng.pick(SKILL_COMMENTS.teacher[rng.weighted(LANGS)]);
    if (rng.chance(0.6)) feedback.learnerComment = rng.pick(SKILL_COMMENTS.learner[rng.weighted(LANGS)]);
    if (rng.chance(0.6)) {
      feedback.learnerProgress = rng.pick([
        'no-progress',
        'some-progress',
        'good-progress',
        'excellent-progress',
      ] as const);
    }
    data.feedback = feedback;
  }
  if (rng.chance(0.5)) data.sdgGoals = rng.pick([[4], [4, 8], [8, 10], [4, 10, 17]]);
  if (rng.chance(0.5)) data.valuationPoints = rng.pick([10, 25, 50, 100]);
  return data;
}

/** One person's attendance of a formal event; everyone who attends it reports the same event fields. */
export function eventAttendedData(
  formal: { eventId: string; attendeeCount: number; at: number; template: FormalEventTemplate },
  user: UserPlan,
  match: MatchPlan | undefined,
): Data<'buddy.event.attended'> {
  const { template } = formal;
  const data: Data<'buddy.event.attended'> = {
    eventId: formal.eventId,
    userId: user.id,
    eventTitle: template.title,
    eventType: template.type,
    eventFormat: template.format,
    attendedAt: iso(formal.at),
    durationMinutes: template.durationMinutes,
    attendeeCount: formal.attendeeCount,
    organizer: template.organizer,
    categories: [...template.categories],
    sdgGoals: [...template.sdgGoals],
  };
  if (match) data.matchId = match.id;
  if (template.location) data.location = template.location;
  return data;
}

export function milestoneData(
  rng: Random,
  user: UserPlan,
  template: MilestoneTemplate,
  reachedAt: number,
  match: MatchPlan | undefined,
  firstTime: boolean,
): Data<'buddy.milestone.reached'> {
  const data: Data<'buddy.milestone.reached'> = {
    milestoneId: template.id,
    userId: user.id,
    milestoneTitle: template.title,
    milestoneCategory: template.category,
    reachedAt: iso(reachedAt),
    points: template.points,
  };
  if (rng.chance(0.8)) data.badgeIcon = template.badgeIcon;
  if (rng.chance(0.8)) data.targetRole = template.targetRole;
  if (rng.chance(0.4)) {
    data.progress = { currentStep: 1, totalSteps: 1, completedSteps: [`milestone-${template.id}`] };
  }
  if (rng.chance(0.5)) {
    data.metadata = { isFirstTime: firstTime };
    if (match) data.metadata.relatedEntities = [{ type: 'match', id: match.id }];
  }
  return data;
}

/** A valid event about a user or match that never arrives: it stays parked, then times out. */
export function orphanEvent(
  rng: Random,
  at: number,
): { [K in keyof EventDataMap]: { type: K; data: Data<K>; key: string | null } }[keyof EventDataMap] {
  const ghostUser = rng.uuid();
  const ghostMatch = rng.uuid();
  switch (rng.pick(['checkin', 'milestone', 'update', 'ended', 'logged'] as const)) {
    case 'checkin':
      return {
        type: 'buddy.checkin.completed',
        data: { checkinId: rng.uuid(), matchId: ghostMatch, checkinDate: iso(at), mood: 'okay' },
        key: null,
      };
    case 'logged':
      return {
        type: 'buddy.event.logged',
        data: { eventId: rng.uuid(), matchId: ghostMatch, eventType: 'hangout', eventDate: iso(at) },
        key: null,
      };
    case 'ended': {
      const data = { matchId: ghostMatch, participantId: ghostUser, buddyId: rng.uuid(), endedAt: iso(at) };
      return {
        type: 'buddy.match.ended',
        data: { ...data, duration: 30, reason: 'inactivity' },
        key: ghostUser,
      };
    }
    case 'milestone': {
      const m = MILESTONES.onboarding;
      const data = { milestoneId: m.id, userId: ghostUser, milestoneTitle: m.title, reachedAt: iso(at) };
      return {
        type: 'buddy.milestone.reached',
        data: { ...data, milestoneCategory: m.category, points: m.points },
        key: ghostUser,
      };
    }
    case 'update': {
      const email = `ghost.${ghostUser.slice(0, 8)}@example.org`;
      return {
        type: 'buddy.user.updated',
        data: { userId: ghostUser, email, role: 'participant', joinedAt: iso(at) },
        key: ghostUser,
      };
    }
  }
}
