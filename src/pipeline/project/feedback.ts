import type { BuddyEventOf } from '../../contracts/index.ts';
import { textRecord } from '../../q2q/text-record.ts';
import { parked, type Project } from './types.ts';

/** buddy.feedback.submitted -> buddy_feedback (the rating arrives normalised to 0..1). */
export const projectFeedback: Project<BuddyEventOf<'buddy.feedback.submitted'>> = (event, lookup) => {
  const { feedbackId, matchId, fromRole, rating, feedbackText, submittedAt } = event.data;
  const match = lookup.match(matchId);
  if (!match) return parked('match', matchId);
  const author = fromRole === 'participant' ? match.participantId : match.buddyId;
  return {
    kind: 'applied',
    rows: {
      buddy_feedback: [
        {
          id: feedbackId,
          match_id: matchId,
          from_role: fromRole,
          rating,
          feedback_text: feedbackText ?? null,
          submitted_at: submittedAt,
        },
      ],
    },
    users: [match.participantId, match.buddyId],
    primaryBuddyId: match.participantBuddyId,
    outbox: textRecord({
      textType: 'buddy_feedback',
      textId: feedbackId,
      text: feedbackText,
      userId: author,
      matchId,
      companyId: match.companyId,
      languagePreference: lookup.info(author)?.languagePreference,
      sourceEventId: event.id,
      createdAt: submittedAt,
    }),
  };
};
