// Scrubbing one stored Buddy event (buddy_system_events.payload, either envelope) of a person's data: the
// free texts and profile fields the contracts mark as PII are removed (an email, which user events
// require, becomes the tombstone's), and any other string holding their email or name is masked. The
// event still parses afterwards, so a replay after an erasure works. Pure.

export interface PersonalData {
  /** Lower-cased emails the person used. */
  emails: string[];
  /** First and last names the person used. */
  names: string[];
  /** What a required email field becomes. */
  replacementEmail: string;
}

/** Free-text fields of `data` (and `data.feedback`), removed from the events of the person's matches. */
const FREE_TEXT = ['notes', 'feedbackText', 'reasonDetails', 'description'];
const COMMENTS = ['teacherComment', 'learnerComment'];
/** Profile fields of user events besides the email. */
const PROFILE = ['firstName', 'lastName', 'location', 'interests'];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function maskerOf(pii: PersonalData): (text: string) => string {
  const emails = pii.emails.filter((e) => e.length > 3).map(escape);
  const names = [...new Set(pii.names.map((n) => n.trim()).filter((n) => n.length >= 2))].map(escape);
  const emailPattern = emails.length ? new RegExp(emails.join('|'), 'giu') : null;
  const namePattern = names.length
    ? new RegExp(`(?<![\\p{L}\\p{N}])(${names.join('|')})(?![\\p{L}\\p{N}])`, 'giu')
    : null;
  return (text) => {
    let out = emailPattern ? text.replace(emailPattern, '[email]') : text;
    if (namePattern) out = out.replace(namePattern, '[name]');
    return out;
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @param ownEvent true for the events that involve the person (their profile, their matches): free
 * text and profile fields go. False for other events that merely mention their email: only masked.
 */
export function scrubPayload(
  payload: unknown,
  pii: PersonalData,
  ownEvent: boolean,
): { payload: unknown; changed: boolean } {
  const before = JSON.stringify(payload);
  const copy = JSON.parse(before) as unknown;
  if (ownEvent && isObject(copy) && isObject(copy['data'])) {
    const data = copy['data'];
    const type = copy['type'];
    for (const key of FREE_TEXT) delete data[key];
    if (isObject(data['feedback'])) for (const key of COMMENTS) delete data['feedback'][key];
    if (type === 'buddy.user.registered' || type === 'buddy.user.updated') {
      for (const key of PROFILE) delete data[key];
      if ('email' in data) data['email'] = pii.replacementEmail;
    }
  }
  const mask = maskerOf(pii);
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return value === pii.replacementEmail ? value : mask(value);
    if (Array.isArray(value)) return value.map(walk);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  const scrubbed = walk(copy);
  return { payload: scrubbed, changed: JSON.stringify(scrubbed) !== before };
}
