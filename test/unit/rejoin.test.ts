// A consumer that lost the broker rejoins its group (src/kafka/rejoin.ts): which crashes count as a lost
// broker (kafkajs' own error classes, as it throws them), and the rejoin loop with its backoff, on a
// consumer double that crashes the way kafkajs does.
import { EventEmitter } from 'node:events';
import {
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isBrokerLoss, rejoinAfterBrokerLoss, rejoinDelay } from '../../src/kafka/rejoin.ts';
import { createLogger } from '../../src/ops/logger.ts';

const log = createLogger({ level: 'silent' });

describe('isBrokerLoss', () => {
  it('recognises the coordinator lookup that failed because every broker refused, as kafkajs wraps it', () => {
    // cluster.findGroupCoordinatorMetadata throws this; the consumer's retrier wraps it as non-retriable.
    expect(isBrokerLoss(coordinatorNotFound())).toBe(true);
    expect(isBrokerLoss(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'))).toBe(true);
    expect(
      isBrokerLoss(new KafkaJSNumberOfRetriesExceeded(new Error('x'), { retryCount: 8, retryTime: 30_000 })),
    ).toBe(true);
  });

  it('leaves other failures to the caller: a bug, a Postgres error, a protocol refusal', () => {
    expect(isBrokerLoss(new Error('relation "outbox" does not exist'))).toBe(false);
    expect(isBrokerLoss(Object.assign(new Error('x'), { code: '42P01' }))).toBe(false);
    expect(isBrokerLoss(new KafkaJSProtocolError('Not authorized to access group'))).toBe(false);
    expect(isBrokerLoss(new KafkaJSNonRetriableError(new Error('boom')))).toBe(false);
    expect(isBrokerLoss(undefined)).toBe(false);
    // A cause cycle ends the walk.
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = a;
    expect(isBrokerLoss(a)).toBe(false);
  });
});

describe('rejoinDelay', () => {
  it('doubles from one second and stops at thirty', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => rejoinDelay(n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });
});

/** The crash kafkajs reports when every broker refused the coordinator lookup (its retrier's wrapping). */
function coordinatorNotFound() {
  // kafkajs' type declarations leave out the arguments its constructors take (message, { cause }).
  const Lookup = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;
  const Final = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
  const lookup = new Lookup('Failed to find group coordinator');
  return new Final(lookup, { cause: lookup });
}

/** A consumer double with kafkajs' event names: `run` joins while the broker is up, else crashes. */
function consumerDouble() {
  const emitter = new EventEmitter();
  const events = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' } as const;
  const state = { brokerUp: false, connects: 0, runs: 0 };
  const crash = (restart: boolean, error: Error) =>
    emitter.emit(events.CRASH, { payload: { error, groupId: 'g', restart } });
  const consumer = {
    events,
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    connect: async () => {
      state.connects++;
      if (!state.brokerUp) throw new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    },
    run: async () => {
      state.runs++;
      if (state.brokerUp) emitter.emit(events.GROUP_JOIN, { payload: {} });
      else crash(false, coordinatorNotFound());
    },
  };
  return { consumer, state, crash };
}

describe('rejoinAfterBrokerLoss', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('rejoins after a crash kafkajs does not restart, backing off until the broker answers', async () => {
    const { consumer, state, crash } = consumerDouble();
    const joined = vi.fn();
    consumer.on(consumer.events.GROUP_JOIN, joined);
    rejoinAfterBrokerLoss(consumer as never, { eachBatch: async () => {} }, log, 'test');
    crash(false, coordinatorNotFound());
    await vi.advanceTimersByTimeAsync(1_000); // attempt 1: connect refused
    await vi.advanceTimersByTimeAsync(2_000); // attempt 2: refused
    expect(state.connects).toBe(2);
    expect(state.runs).toBe(0);
    state.brokerUp = true;
    await vi.advanceTimersByTimeAsync(3_999);
    expect(state.connects).toBe(2); // the third waits 4 s
    await vi.advanceTimersByTimeAsync(1);
    expect(state.runs).toBe(1);
    expect(joined).toHaveBeenCalledTimes(1);
    // Joined: the next loss starts from one second again.
    state.brokerUp = false;
    crash(false, coordinatorNotFound());
    state.brokerUp = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(joined).toHaveBeenCalledTimes(2);
  });

  it('does nothing for a crash kafkajs restarts itself, or one that is not a lost broker', async () => {
    const { consumer, state, crash } = consumerDouble();
    rejoinAfterBrokerLoss(consumer as never, {}, log, 'test');
    crash(true, new KafkaJSConnectionError('refused'));
    crash(false, new Error('a bug'));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(state.connects).toBe(0);
  });

  it('stops trying once cancelled (the processor is stopping)', async () => {
    const { consumer, state, crash } = consumerDouble();
    const rejoin = rejoinAfterBrokerLoss(consumer as never, {}, log, 'test');
    crash(false, coordinatorNotFound());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.connects).toBe(1);
    rejoin.cancel();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(state.connects).toBe(1);
  });
});
