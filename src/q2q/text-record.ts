// The q2q.text.requested record of a new free text (docs/q2q.md). Pure.
import { nameBasedUuid } from '../pipeline/ids.ts';

export type TextType = 'checkin_note' | 'buddy_feedback' | 'skill_feedback';

/** The outcome dimensions Q2Q is asked to score, per kind of text (the event catalog's expectations). */
export const EXPECTED_DIMENSIONS: Record<TextType, readonly string[]> = {
  checkin_note: ['well_being', 'belonging'],
  buddy_feedback: ['confidence', 'belonging', 'job_readiness'],
  skill_feedback: ['confidence', 'job_readiness'],
};

export const Q2Q_LANGUAGES = ['en', 'uk', 'no'] as const;
export const MAX_Q2Q_TEXT_CHARS = 10_000;

/** The logical topic of the outbox rows; the relay maps it to Q2Q_TEXT_TOPIC. */
export const Q2Q_TEXT_LOGICAL_TOPIC = 'q2q.text.requested';

/** Namespace of outbox record ids. Fixed forever: downstream dedupes by these ids. */
export const OUTBOX_NAMESPACE = '9e3c1b57-4f0a-4d8e-8b21-35c7a9d6e4f2';

export interface OutboxRow {
  id: string;
  topic: string;
  message_key: string | null;
  payload: Record<string, unknown>;
  source_event_id: string | null;
  user_id: string | null;
}

export interface TextSource {
  textType: TextType;
  textId: string;
  text: string | null | undefined;
  /** CSR id of the author. */
  userId: string;
  matchId: string | null;
  companyId: string | null;
  /** The author's Buddy language preference, if any. */
  languagePreference: string | undefined;
  sourceEventId: string;
  /** Event time of the text. */
  createdAt: string;
}

/** Q2Q's language for a Buddy preference: en, uk or no when it is one of those, else unknown. */
export function q2qLanguage(preference: string | undefined): string {
  const lang = preference?.trim().toLowerCase().slice(0, 2);
  if (lang === 'nb' || lang === 'nn') return 'no';
  return (Q2Q_LANGUAGES as readonly string[]).includes(lang ?? '') ? lang! : 'unknown';
}

/** The outbox row of one text, or none for an empty text. Its id is the same for the same text. */
export function textRecord(source: TextSource): OutboxRow[] {
  const text = source.text?.trim();
  if (!text) return [];
  const recordId = nameBasedUuid(OUTBOX_NAMESPACE, `q2q:${source.textType}:${source.textId.toLowerCase()}`);
  return [
    {
      id: recordId,
      topic: Q2Q_TEXT_LOGICAL_TOPIC,
      message_key: source.userId,
      payload: {
        recordId,
        textId: source.textId,
        textType: source.textType,
        text: text.slice(0, MAX_Q2Q_TEXT_CHARS),
        language: q2qLanguage(source.languagePreference),
        userId: source.userId,
        matchId: source.matchId,
        companyId: source.companyId,
        expectedDimensions: EXPECTED_DIMENSIONS[source.textType],
        sourceEventId: source.sourceEventId,
        createdAt: source.createdAt,
      },
      source_event_id: source.sourceEventId,
      user_id: source.userId,
    },
  ];
}
