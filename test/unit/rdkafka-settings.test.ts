// The rdkafka transport's translation of buddy-stream's Kafka settings and subscription into librdkafka's:
// the same brokers, client id, SASL and TLS as the kafkajs client, and topic patterns librdkafka can match.
import { describe, expect, it } from 'vitest';
import type { KafkaSettings } from '../../src/kafka/client.ts';
import { librdkafkaConnection, librdkafkaTopics } from '../../src/kafka/rdkafka-consumer.ts';

const plain: KafkaSettings = {
  KAFKA_BROKERS: ['kafka-0:9092', 'kafka-1:9092'],
  KAFKA_CLIENT_ID: 'buddy-stream-pod-1',
  KAFKA_SASL_MECHANISM: '',
  KAFKA_SASL_USERNAME: '',
  KAFKA_SASL_PASSWORD: '',
  KAFKA_SSL: false,
  KAFKA_SSL_CA_FILE: '',
  KAFKA_SSL_CERT_FILE: '',
  KAFKA_SSL_KEY_FILE: '',
};

describe('librdkafkaConnection', () => {
  it('maps brokers and client id, plaintext without SASL', () => {
    expect(librdkafkaConnection(plain, '-scores')).toEqual({
      'metadata.broker.list': 'kafka-0:9092,kafka-1:9092',
      'client.id': 'buddy-stream-pod-1-scores',
      'security.protocol': 'plaintext',
    });
  });

  it('maps SASL mechanisms and credentials, over TLS or not', () => {
    const sasl = { KAFKA_SASL_USERNAME: 'buddy', KAFKA_SASL_PASSWORD: 'secret' };
    expect(librdkafkaConnection({ ...plain, ...sasl, KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toMatchObject({
      'security.protocol': 'sasl_plaintext',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'buddy',
      'sasl.password': 'secret',
    });
    expect(
      librdkafkaConnection({ ...plain, ...sasl, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SSL: true }),
    ).toMatchObject({ 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'PLAIN' });
  });

  it('maps TLS files to librdkafka locations; none means the system CAs', () => {
    expect(librdkafkaConnection({ ...plain, KAFKA_SSL: true })).toEqual({
      'metadata.broker.list': 'kafka-0:9092,kafka-1:9092',
      'client.id': 'buddy-stream-pod-1',
      'security.protocol': 'ssl',
    });
    expect(
      librdkafkaConnection({
        ...plain,
        KAFKA_SSL: true,
        KAFKA_SSL_CA_FILE: '/tls/ca.pem',
        KAFKA_SSL_CERT_FILE: '/tls/client.pem',
        KAFKA_SSL_KEY_FILE: '/tls/client.key',
      }),
    ).toMatchObject({
      'ssl.ca.location': '/tls/ca.pem',
      'ssl.certificate.location': '/tls/client.pem',
      'ssl.key.location': '/tls/client.key',
    });
  });
});

describe('librdkafkaTopics', () => {
  it('passes topic names, and patterns as strings starting with ^', () => {
    expect(librdkafkaTopics(['q2q.outcome.scored', /^buddy\./, /\.dlq$/])).toEqual([
      'q2q.outcome.scored',
      '^buddy\\.',
      '^.*\\.dlq$',
    ]);
  });

  it('refuses what POSIX extended expressions cannot match as JavaScript does', () => {
    expect(() => librdkafkaTopics([/^buddy\./i])).toThrow(/flags/);
    expect(() => librdkafkaTopics([/^buddy\.\d+/])).toThrow(/POSIX/);
    expect(() => librdkafkaTopics([/^(?!internal)/])).toThrow(/POSIX/);
    expect(() => librdkafkaTopics([/^b.*?x/])).toThrow(/POSIX/);
  });
});
