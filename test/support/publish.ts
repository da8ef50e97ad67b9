// Publishing a test's records right after its topics were created: the broker may still answer "not the
// leader" for a moment, which kafkajs' idempotent producer turns into a fatal "out of order sequence
// number". Retried here with a plain producer (a record sent twice is a duplicate the processor drops).
import type { TestStream } from './stream.ts';

type Records = Parameters<TestStream['publish']>[0];

export async function publishRetrying(stream: TestStream, records: Records, attempts = 4): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const producer = stream.kafka.producer({ retry: { retries: 10, initialRetryTime: 200 } });
    await producer.connect();
    try {
      for (let i = 0; i < records.length; i += 2_000) {
        const byTopic = new Map<string, { key: string | null; value: Buffer | string }[]>();
        for (const r of records.slice(i, i + 2_000)) {
          const value =
            Buffer.isBuffer(r.value) || typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
          byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), { key: r.key ?? null, value }]);
        }
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      }
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      await producer.disconnect();
    }
  }
}
