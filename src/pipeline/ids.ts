// Row ids that buddy-stream derives instead of taking them from an event.
import { createHash } from 'node:crypto';

/** Namespace of the name-based UUIDs below. Fixed forever: changing it would re-key stored rows. */
export const FORMAL_EVENT_ROW_NAMESPACE = '4b0d5a8e-2f61-4c7e-9a13-6d2e8f0b7c45';

/**
 * RFC 9562 version 5 (SHA-1, name-based) UUID of `name` in `namespace`: the same inputs always give
 * the same id, so a re-delivered event writes the same row and `ON CONFLICT (id)` dedupes it.
 */
export function nameBasedUuid(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`namespace is not a UUID: ${namespace}`);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC variant (10xx)
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The buddy_events id of a formal event (`buddy.event.attended`) attended within a match: one row per
 * (formal event, match), whichever of the match's two people reports it and however often. Ids are
 * lower-cased first, so an upper-case UUID on the wire maps to the same row.
 */
export function formalEventRowId(eventId: string, matchId: string): string {
  return nameBasedUuid(FORMAL_EVENT_ROW_NAMESPACE, `${eventId.toLowerCase()}:${matchId.toLowerCase()}`);
}
