// Limits of the target columns that the upstream contract does not state (it allows any length there).
// Checked at validation, so Postgres never refuses a valid event for its size. Pure.
import type { BuddyEvent } from '../contracts/index.ts';

interface Limit {
  path: string;
  column: string;
  max: number;
  value: (event: BuddyEvent) => string | undefined;
}

const LIMITS: Partial<Record<BuddyEvent['type'], Limit[]>> = {
  'buddy.event.logged': [
    {
      path: 'data.eventType',
      column: 'buddy_events.event_type',
      max: 100,
      value: (e) => field(e, 'eventType'),
    },
    { path: 'data.location', column: 'buddy_events.location', max: 255, value: (e) => field(e, 'location') },
  ],
  'buddy.user.registered': [
    { path: 'data.email', column: 'users.email', max: 255, value: (e) => field(e, 'email') },
  ],
  'buddy.user.updated': [
    { path: 'data.email', column: 'users.email', max: 255, value: (e) => field(e, 'email') },
  ],
};

function field(event: BuddyEvent, name: string): string | undefined {
  const value = (event.data as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Why the event cannot be stored (names the field and the column, never the value), or null. */
export function columnLimitViolation(event: BuddyEvent): string | null {
  for (const limit of LIMITS[event.type] ?? []) {
    const value = limit.value(event);
    if (value !== undefined && value.length > limit.max) {
      return `${limit.path}: longer than ${limit.max} characters (${limit.column})`;
    }
  }
  return null;
}
