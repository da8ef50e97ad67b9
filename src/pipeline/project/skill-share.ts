import type { BuddyEventOf } from '../../contracts/index.ts';
import { compact, unique } from './util.ts';
import { textRecord } from '../../q2q/text-record.ts';
import { parked, type BuddyEventRow, type Project } from './types.ts';

type SkillShare = BuddyEventOf<'buddy.skill_share.completed'>['data'];

/** The session's free text as Q2Q reads it: "Teacher: ...\n\nLearner: ...", only the parts present. */
export function skillSessionText(feedback: SkillShare['feedback']): string | null {
  const parts = [];
  if (feedback?.teacherComment) parts.push(`Teacher: ${feedback.teacherComment}`);
  if (feedback?.learnerComment) parts.push(`Learner: ${feedback.learnerComment}`);
  return parts.length > 0 ? parts.join('\n\n') : null;
}

/**
 * buddy.skill_share.completed -> kintell_sessions (session_type skill_share, learner = participant,
 * teacher = volunteer); an online session of a match is also a video call in buddy_events.
 */
export const projectSkillShare: Project<BuddyEventOf<'buddy.skill_share.completed'>> = (event, lookup) => {
  const d = event.data;
  const learner = lookup.user(d.learnerId);
  if (!learner) return parked('user', d.learnerId);
  const teacher = lookup.user(d.teacherId);
  if (!teacher) return parked('user', d.teacherId);
  const videoCall = d.format === 'online' && d.matchId !== undefined;
  if (videoCall && !lookup.match(d.matchId!)) return parked('match', d.matchId!);
  const buddyEvents: BuddyEventRow[] = videoCall
    ? [
        {
          id: d.sessionId,
          match_id: d.matchId!,
          event_type: 'video_call',
          event_date: d.completedAt,
          description: d.skillName,
          location: null,
          metadata: compact({
            source: 'skill_share.completed',
            session_id: d.sessionId,
            duration_minutes: d.durationMinutes,
          }),
        },
      ]
    : [];
  return {
    kind: 'applied',
    rows: {
      kintell_sessions: [
        {
          id: d.sessionId,
          external_session_id: d.sessionId,
          session_type: 'skill_share',
          participant_id: learner,
          volunteer_id: teacher,
          scheduled_at: d.scheduledAt ?? null,
          completed_at: d.completedAt,
          duration_minutes: d.durationMinutes ?? null,
          rating: d.feedback?.learnerRating ?? d.feedback?.teacherRating ?? null,
          feedback_text: skillSessionText(d.feedback),
          topics: [d.skillName],
          metadata: compact({
            skill_id: d.skillId,
            skill_name: d.skillName,
            skill_category: d.skillCategory,
            proficiency_level: d.proficiencyLevel,
            format: d.format,
            sdg_goals: d.sdgGoals,
            valuation_points: d.valuationPoints,
            learner_progress: d.feedback?.learnerProgress,
            match_id: d.matchId,
          }),
        },
      ],
      ...(videoCall ? { buddy_events: buddyEvents } : {}),
    },
    users: unique([learner, teacher]),
    primaryBuddyId: d.learnerId,
    outbox: textRecord({
      textType: 'skill_feedback',
      textId: d.sessionId,
      text: skillSessionText(d.feedback),
      userId: learner,
      matchId: d.matchId ?? null,
      companyId: (d.matchId ? lookup.match(d.matchId)?.companyId : null) ?? event.metadata?.companyId ?? null,
      languagePreference: lookup.info(learner)?.languagePreference,
      sourceEventId: event.id,
      createdAt: d.completedAt,
    }),
  };
};
