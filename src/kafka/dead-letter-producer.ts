// Publishes dead letters with an idempotent producer; resolves when the broker acknowledged them.
import type { Producer } from 'kafkajs';
import { deadLetterMessage, type DeadLetter } from '../pipeline/dead-letter.ts';
import type { DeadLetterSink } from '../pipeline/commit.ts';

export function createDeadLetterSink(
  producer: Producer,
  topic: string,
  onSent?: (letter: DeadLetter) => void,
): DeadLetterSink {
  return {
    async publish(letters) {
      if (letters.length === 0) return;
      await producer.send({ topic, acks: -1, messages: letters.map((l) => deadLetterMessage(l)) });
      for (const l of letters) onSent?.(l);
    },
  };
}
