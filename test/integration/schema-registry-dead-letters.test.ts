import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryAdmin } from '../../src/kafka/schema-registry-admin.ts';
import { registrySchemaText, schemaSubjects } from '../../src/kafka/schema-subjects.ts';
import { DLQ_HEADERS } from '../../src/pipeline/dead-letter.ts';
import { frameValue } from '../../src/pipeline/frame.ts';
import { deleteSubjects, REGISTRY_URL, requireRegistry } from '../support/registry.ts';
import { flatEnvelope, sampleUsers } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const UNKNOWN_SCHEMA_ID = 2_000_000_000;

describe('framed records that cannot be decoded are dead-lettered with the reason, never dropped', () => {
  let stream: TestStream;
  let admin: RegistryAdmin;
  beforeAll(async () => {
    admin = await requireRegistry();
    stream = await createTestStream('registrydlq', { partitions: 1 });
  });
  afterAll(async () => {
    await stream?.close();
    if (admin && stream) await deleteSubjects(admin, stream.config.TOPIC_PREFIX);
  });

  it('without a registry, with an unknown schema id, and when a value fails its writer schema', async () => {
    const topic = stream.topic('buddy.user.registered');
    const s = schemaSubjects(stream.config).find((subject) => subject.topic === topic)!;
    const schemaId = await admin.register(
      s.subject,
      registrySchemaText(readFileSync(s.file, 'utf8'), s.file),
    );
    const good = frameValue(schemaId, json(flatEnvelope('buddy.user.registered', sampleUsers.participant)));

    // 1. No SCHEMA_REGISTRY_URL: the processor cannot read it, and says so.
    await stream.publish([{ topic, key: 'no-registry', value: good }]);
    const first = await stream.startProcessor({ SCHEMA_REGISTRY_URL: '' });
    await first.processor.waitUntilCaughtUp();
    await first.processor.stop();

    // 2. With the registry, a short retry bound: an id it does not know, a value its schema refuses.
    const secret = 'top-secret-role';
    const unknown = frameValue(
      UNKNOWN_SCHEMA_ID,
      json(flatEnvelope('buddy.user.registered', sampleUsers.buddy)),
    );
    const violating = frameValue(
      schemaId,
      json(flatEnvelope('buddy.user.registered', { ...sampleUsers.buddy, role: secret })),
    );
    await stream.publish([
      { topic, key: 'unknown-schema', value: unknown },
      { topic, key: 'violates-schema', value: violating },
      { topic, key: 'decodes', value: good },
    ]);
    const second = await stream.startProcessor({
      SCHEMA_REGISTRY_URL: REGISTRY_URL,
      SCHEMA_REGISTRY_RETRY_TIMEOUT: '2s',
    });
    await second.processor.waitUntilCaughtUp();

    const letters = await stream.readTopic(stream.config.DLQ_TOPIC, 3);
    const letter = (key: string) => {
      const found = letters.find((l) => l.key?.toString() === key);
      expect(found, key).toBeDefined();
      return found!;
    };
    const noRegistry = letter('no-registry');
    expect(noRegistry.headers[DLQ_HEADERS.className]).toBe('buddy-stream.schema_unavailable');
    expect(noRegistry.headers[DLQ_HEADERS.stage]).toBe('VALUE_CONVERTER');
    expect(noRegistry.headers[DLQ_HEADERS.message]).toBe(
      `value is Confluent-framed (schema id ${schemaId}) and SCHEMA_REGISTRY_URL is not set`,
    );
    expect(noRegistry.value?.equals(good)).toBe(true);

    const unknownLetter = letter('unknown-schema');
    expect(unknownLetter.headers[DLQ_HEADERS.className]).toBe('buddy-stream.schema_unavailable');
    expect(unknownLetter.headers[DLQ_HEADERS.message]).toMatch(
      new RegExp(
        `^schema id ${UNKNOWN_SCHEMA_ID} could not be fetched from the schema registry \\(\\d+ attempts in [\\d.]+ s\\): .*not found`,
        'i',
      ),
    );
    expect(unknownLetter.value?.equals(unknown)).toBe(true);

    const violatingLetter = letter('violates-schema');
    expect(violatingLetter.headers[DLQ_HEADERS.className]).toBe('buddy-stream.schema_violation');
    expect(violatingLetter.headers[DLQ_HEADERS.message]).toContain(
      `value does not match its writer schema (id ${schemaId}): /data/role`,
    );
    expect(violatingLetter.headers[DLQ_HEADERS.message]).not.toContain(secret);
    expect(violatingLetter.value?.equals(violating)).toBe(true);

    // The same framed bytes that were dead-lettered without a registry decode with one.
    const users = await stream.pool.query('SELECT 1 FROM users');
    expect(users.rowCount).toBe(1);
    expect(second.processor.totals.deadLetteredByReason).toEqual({
      schema_unavailable: 1,
      schema_violation: 1,
    });
  });
});
