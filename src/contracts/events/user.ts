import { z } from 'zod';
import { isoDateTime, uuid } from '../primitives.ts';

export const BUDDY_ROLES = ['participant', 'buddy'] as const;
export type BuddyRole = (typeof BUDDY_ROLES)[number];

/** How a Buddy role maps onto `users.role` in the CSR platform. */
export const CSR_ROLE_OF: Readonly<Record<BuddyRole, 'beneficiary' | 'volunteer'>> = {
  participant: 'beneficiary',
  buddy: 'volunteer',
};

/**
 * buddy.user.registered and buddy.user.updated (NEW: upstream had no user events). Both carry the
 * user's full current profile, so one schema serves both. Primary user: userId.
 */
export const userProfileSchema = z.object({
  /** The Buddy id, linked to a CSR user through user_external_ids (provider `buddy`). */
  userId: uuid,
  /** PII. */
  email: z.email(),
  /** PII. */
  firstName: z.string().max(100).optional(),
  /** PII. */
  lastName: z.string().max(100).optional(),
  role: z.enum(BUDDY_ROLES),
  joinedAt: isoDateTime,
  languagePreference: z.string().optional(),
  interests: z.array(z.string()).optional(),
  location: z.string().optional(),
});

export const userRegisteredSchema = userProfileSchema;
export const userUpdatedSchema = userProfileSchema;

export type UserProfile = z.output<typeof userProfileSchema>;
export type UserRegistered = UserProfile;
export type UserUpdated = UserProfile;
