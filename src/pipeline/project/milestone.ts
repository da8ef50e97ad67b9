import type { BuddyEventOf } from '../../contracts/index.ts';
import { compact } from './util.ts';
import { milestoneRecord } from '../../journey/records.ts';
import { parked, type Project } from './types.ts';

export const buddyMilestoneName = (milestoneId: number) => `buddy_milestone_${milestoneId}`;

/** buddy.milestone.reached -> journey_milestones, once per user and milestone (earliest wins). */
export const projectMilestone: Project<BuddyEventOf<'buddy.milestone.reached'>> = (event, lookup) => {
  const d = event.data;
  const user = lookup.user(d.userId);
  if (!user) return parked('user', d.userId);
  return {
    kind: 'applied',
    rows: {
      journey_milestones: [
        {
          user_id: user,
          milestone: buddyMilestoneName(d.milestoneId),
          reached_at: d.reachedAt,
          triggered_by_rule: 'buddy.milestone.reached',
          metadata: compact({
            milestone_id: d.milestoneId,
            title: d.milestoneTitle,
            category: d.milestoneCategory,
            points: d.points,
            badge_icon: d.badgeIcon,
            target_role: d.targetRole,
            progress: d.progress,
            details: d.metadata,
            source_event_id: event.id,
          }),
        },
      ],
    },
    users: [user],
    primaryBuddyId: d.userId,
    outbox: [
      milestoneRecord(user, buddyMilestoneName(d.milestoneId), d.reachedAt, 'buddy.milestone.reached'),
    ],
  };
};
