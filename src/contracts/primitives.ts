import { z } from 'zod';

/**
 * Building blocks shared by the event schemas. Kept in one place so that a rule (what counts as a
 * UUID, how a timestamp is normalised) cannot drift between event types.
 */

/**
 * Any 8-4-4-4-12 hex UUID. zod v4's `z.uuid()` insists on an RFC 9562 version nibble (1-8) and
 * variant, which rejects ids that upstream's zod v3 validator accepted (for example ids derived
 * from a hash without setting the version bits). A real producer will not change for us, so we
 * accept the same shape upstream did. Canonical events carry it lower-cased: Buddy ids are looked up
 * as text (user_external_ids.external_id), and the same person must not become two.
 */
export const uuid = z.guid().transform((value) => value.toLowerCase());

/**
 * An ISO-8601 / RFC 3339 date-time with seconds and a zone designator (`Z` or `+hh:mm`),
 * normalised to a UTC ISO string (`...Z`, millisecond precision). Upstream only accepted `Z`;
 * offsets are accepted too. A date-time without a zone is rejected: its instant is ambiguous.
 */
export const isoDateTime = z.iso.datetime({ offset: true }).transform((value, ctx) => {
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'not a representable instant' });
    return z.NEVER;
  }
  return instant.toISOString();
});

/** A rating or score already normalised to 0..1 (legacy 1..5 values are rejected, not guessed). */
export const unitInterval = z.number().min(0).max(1);

export const positiveInt = z.int().positive();
export const nonNegativeInt = z.int().nonnegative();

/** UN Sustainable Development Goals are numbered 1..17. */
export const sdgGoals = z.array(z.int().min(1).max(17));

export const eventFormat = z.enum(['in-person', 'online', 'hybrid']);
