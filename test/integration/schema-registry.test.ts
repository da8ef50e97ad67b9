import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventType } from '../../src/contracts/index.ts';
import { createOutputEncoder } from '../../src/kafka/output-encoder.ts';
import type { RegistryAdmin } from '../../src/kafka/schema-registry-admin.ts';
import { createSchemaRegistry, SchemaType } from '../../src/kafka/schema-registry.ts';
import { registrySchemaText, schemaSubjects } from '../../src/kafka/schema-subjects.ts';
import { frameValue } from '../../src/pipeline/frame.ts';
import {
  deleteSubjects,
  produceWithKcat,
  REGISTRY_URL,
  registryProxy,
  requireRegistry,
} from '../support/registry.ts';
import { flatEnvelope, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

/** How an Avro producer might describe buddy.user.registered (optional fields as null unions). */
const USER_REGISTERED_AVRO = {
  type: 'record',
  name: 'UserRegistered',
  namespace: 'org.example.buddy',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'type', type: 'string' },
    { name: 'version', type: 'string' },
    { name: 'timestamp', type: 'string' },
    {
      name: 'data',
      type: {
        type: 'record',
        name: 'UserData',
        fields: [
          { name: 'userId', type: 'string' },
          { name: 'email', type: 'string' },
          { name: 'firstName', type: ['null', 'string'], default: null },
          { name: 'lastName', type: ['null', 'string'], default: null },
          { name: 'role', type: { type: 'enum', name: 'Role', symbols: ['participant', 'buddy'] } },
          { name: 'joinedAt', type: 'string' },
          { name: 'languagePreference', type: ['null', 'string'], default: null },
          { name: 'interests', type: { type: 'array', items: 'string' }, default: [] },
          { name: 'location', type: ['null', 'string'], default: null },
        ],
      },
    },
  ],
};

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('Confluent-framed records beside plain JSON, through the real schema registry', () => {
  let stream: TestStream;
  let admin: RegistryAdmin;
  beforeAll(async () => {
    admin = await requireRegistry();
    stream = await createTestStream('registry', { partitions: 1 });
  });
  afterAll(async () => {
    await stream?.close();
    if (admin && stream) await deleteSubjects(admin, stream.config.TOPIC_PREFIX);
  });

  /** Registers schemas/<type>.schema.json as `<prefixed topic>-value`, as `schemas register` does. */
  async function registerContract(type: EventType): Promise<number> {
    const s = schemaSubjects(stream.config).find((subject) => subject.topic === stream.topic(type))!;
    return admin.register(s.subject, registrySchemaText(readFileSync(s.file, 'utf8'), s.file));
  }

  const storedPayload = async (eventId: unknown) =>
    (await stream.pool.query('SELECT payload FROM buddy_system_events WHERE event_id = $1', [eventId]))
      .rows[0]?.payload as unknown;

  it('stores framed JSON Schema (written by kcat), framed Avro and plain JSON records of the same topics', async () => {
    const registered = stream.topic('buddy.user.registered');
    const userSchemaId = await registerContract('buddy.user.registered');
    const matchSchemaId = await registerContract('buddy.match.created');

    // kcat, an independent client, writes the framed bytes: magic byte, schema id, the JSON text.
    const fromKcat = flatEnvelope('buddy.user.registered', sampleUsers.participant);
    const kcatBytes = frameValue(userSchemaId, json(fromKcat));
    await produceWithKcat(stream.config.KAFKA_BROKERS, {
      topic: registered,
      key: sampleUsers.participant.userId,
      value: kcatBytes,
      partition: 0,
    });

    const registry = createSchemaRegistry(REGISTRY_URL);
    const { id: avroId } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(USER_REGISTERED_AVRO) },
      { subject: `${stream.config.TOPIC_PREFIX}avro.user.registered-value` },
    );
    const avroEvent = flatEnvelope('buddy.user.registered', { ...sampleUsers.buddy, location: null });
    const avroBytes = await registry.encode(avroId, avroEvent);
    expect(avroBytes.readUInt32BE(1)).toBe(avroId);

    // buddy-stream's own helper frames under the topic's latest registered schema.
    const encoder = createOutputEncoder({
      ...stream.config,
      OUTPUT_FRAMED: true,
      SCHEMA_REGISTRY_URL: REGISTRY_URL,
    });
    const match = flatEnvelope('buddy.match.created', validData['buddy.match.created']);
    const matchBytes = await encoder.encodeForTopic(stream.topic('buddy.match.created'), match);
    expect([matchBytes[0], matchBytes.readUInt32BE(1)]).toEqual([0, matchSchemaId]);
    expect((await encoder.encodeForTopic(stream.config.DLQ_TOPIC, { a: 1 })).toString()).toBe('{"a":1}');

    const plainUser = { ...sampleUsers.buddy, userId: randomUUID(), email: 'third.user@example.org' };
    const plain = flatEnvelope('buddy.user.registered', plainUser);
    const logged = flatEnvelope('buddy.event.logged', validData['buddy.event.logged']);
    await stream.publish([
      { topic: registered, key: sampleUsers.buddy.userId, value: avroBytes },
      { topic: registered, key: plainUser.userId, value: json(plain) },
      { topic: stream.topic('buddy.match.created'), key: sampleUsers.participant.userId, value: matchBytes },
      { topic: stream.topic('buddy.event.logged'), value: json(logged) },
    ]);

    const { processor } = await stream.startProcessor({ SCHEMA_REGISTRY_URL: REGISTRY_URL });
    await processor.waitUntilCaughtUp();
    await processor.stop();

    expect(processor.totals.deadLettered).toBe(0);
    const count = async (table: string) =>
      (await stream.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    expect(await count('users')).toBe(3);
    expect(await count('buddy_system_events')).toBe(5);
    expect(await count('buddy_matches')).toBe(1);
    expect(await count('buddy_events')).toBe(1);
    // The raw store keeps the decoded JSON: as sent for JSON Schema; Avro's null unions become absent keys.
    expect(await storedPayload(fromKcat.id)).toEqual(fromKcat);
    expect(await storedPayload(match.id)).toEqual(match);
    const { location: _dropped, ...avroData } = avroEvent.data as Record<string, unknown>;
    expect(await storedPayload(avroEvent.id)).toEqual({ ...avroEvent, data: avroData });
  });

  it('waits out a registry outage shorter than its retry timeout instead of dead-lettering', async () => {
    const proxy = await registryProxy();
    try {
      const schemaId = await registerContract('buddy.user.updated');
      const updated = flatEnvelope('buddy.user.updated', validData['buddy.user.updated']);
      await stream.publish([
        {
          topic: stream.topic('buddy.user.updated'),
          key: sampleUsers.participant.userId,
          value: frameValue(schemaId, json(updated)),
        },
      ]);
      // A fresh processor has no schema cached: it must ask the registry, which is down for a few seconds.
      const { processor } = await stream.startProcessor({
        SCHEMA_REGISTRY_URL: proxy.url,
        SCHEMA_REGISTRY_RETRY_TIMEOUT: '60s',
      });
      await vi.waitFor(() => expect(proxy.refused).toBeGreaterThanOrEqual(4), {
        timeout: 60_000,
        interval: 100,
      });
      expect(await storedPayload(updated.id)).toBeUndefined();
      proxy.setDown(false);
      await processor.waitUntilCaughtUp();
      expect(processor.totals.deadLettered).toBe(0);
      expect(await storedPayload(updated.id)).toEqual(updated);
    } finally {
      await proxy.close();
    }
  });
});
