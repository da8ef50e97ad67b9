// Which dead letters an operator means, and how a chosen one is re-published. Pure.
import type { Message } from 'kafkajs';
import { DLQ_HEADERS } from '../pipeline/dead-letter.ts';
import { describeDeadLetter, type DeadLetterRecord } from './read.ts';

export interface Selection {
  /** `partition:offset` positions in the dead-letter topic. */
  offsets?: string[];
  /** Reject codes (`park_timeout`) or class names (`buddy-stream.park_timeout`). */
  reasons?: string[];
  all?: boolean;
}

/** `3:120` -> { partition 3, offset '120' }; throws on anything else. */
export function parsePosition(text: string): { partition: number; offset: string } {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`a dead letter is named partition:offset (e.g. 0:42), not "${text}"`);
  return { partition: Number(match[1]), offset: String(BigInt(match[2]!)) };
}

export function selects(selection: Selection, record: DeadLetterRecord): boolean {
  if (selection.all) return true;
  const at = `${record.partition}:${record.offset}`;
  if (selection.offsets?.some((o) => o === at)) return true;
  const { reason } = describeDeadLetter(record);
  return selection.reasons?.some((r) => r.replace(/^buddy-stream\./, '') === reason) ?? false;
}

/** The record to publish again: the original key and value to the original topic, marked as replayed. */
export function replayMessage(
  dlqTopic: string,
  record: DeadLetterRecord,
): { topic: string; message: Message } | null {
  const topic = record.headers[DLQ_HEADERS.topic];
  if (!topic) return null;
  return {
    topic,
    message: {
      key: record.key,
      value: record.value,
      headers: { [DLQ_HEADERS.replayed]: `${dlqTopic}/${record.partition}/${record.offset}` },
    },
  };
}
