// Dead letters: the original key and value bytes, with Kafka Connect's error headers so tools that
// read Connect DLQs read ours. Building the message is pure; the producer lives in kafka/.
import type { Message } from 'kafkajs';
import type { RecordPosition } from '../errors.ts';
import type { RejectCode, RejectStage } from './decode.ts';

export const DLQ_HEADERS = {
  topic: '__connect.errors.topic',
  partition: '__connect.errors.partition',
  offset: '__connect.errors.offset',
  connector: '__connect.errors.connector.name',
  stage: '__connect.errors.stage',
  className: '__connect.errors.class.name',
  message: '__connect.errors.exception.message',
  /** Ours: when the record was dead-lettered. */
  failedAt: 'buddy-stream.dead-lettered-at',
  /** Ours: set on a record re-published by `dlq replay`. */
  replayed: 'buddy-stream.replayed-from-dlq',
} as const;

/** Connect's stage names, for the stages of our data flow. */
const STAGE_NAMES: Record<RejectStage, string> = {
  decode: 'VALUE_CONVERTER',
  validate: 'TRANSFORMATION',
  resolve: 'TASK_PUT',
};

export interface DeadLetter {
  position: RecordPosition;
  key: Buffer | null;
  value: Buffer | null;
  code: RejectCode;
  stage: RejectStage;
  reason: string;
}

export function deadLetterMessage(letter: DeadLetter, now = new Date()): Message {
  return {
    key: letter.key,
    value: letter.value,
    headers: {
      [DLQ_HEADERS.topic]: letter.position.topic,
      [DLQ_HEADERS.partition]: String(letter.position.partition),
      [DLQ_HEADERS.offset]: letter.position.offset,
      [DLQ_HEADERS.connector]: 'buddy-stream',
      [DLQ_HEADERS.stage]: STAGE_NAMES[letter.stage],
      [DLQ_HEADERS.className]: `buddy-stream.${letter.code}`,
      [DLQ_HEADERS.message]: letter.reason,
      [DLQ_HEADERS.failedAt]: now.toISOString(),
    },
  };
}
