// What the consumer is doing, from kafkajs' instrumentation events: the basis of readiness, of the
// assigned-partitions gauge and of the lag monitor's partition list.
import type { ConsumerTransport } from '../kafka/rdkafka-consumer.ts';
import { isBrokerLoss } from '../kafka/rejoin.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export type Assignment = Record<string, number[]>;

export interface ConsumerState {
  /** In the group: joined (with partitions, or idle with none) and neither crashed nor stopped since. */
  member: boolean;
  assignment: Assignment;
  /** Why it is not a member, for /readyz. */
  reason: string;
}

export interface ConsumerTracker {
  state(): ConsumerState;
  /**
   * Called when kafkajs gives up on the consumer (a crash it does not restart, other than a lost broker,
   * which is rejoined): the process should exit.
   */
  onFatal(listener: (error: Error) => void): void;
}

export function trackConsumer(consumer: ConsumerTransport, metrics: Metrics, log: Logger): ConsumerTracker {
  let state: ConsumerState = { member: false, assignment: {}, reason: 'not connected to Kafka yet' };
  const fatal = new Set<(error: Error) => void>();
  const leave = (reason: string) => {
    state = { member: false, assignment: {}, reason };
    metrics.assignedPartitions.set(0);
  };
  const { CONNECT, GROUP_JOIN, CRASH, DISCONNECT, STOP } = consumer.events;
  consumer.on(CONNECT, () => {
    if (!state.member) state = { ...state, reason: 'connected to Kafka, joining the group' };
  });
  consumer.on(GROUP_JOIN, ({ payload }) => {
    const assignment: Assignment = payload.memberAssignment;
    state = { member: true, assignment, reason: '' };
    metrics.assignedPartitions.set(Object.values(assignment).reduce((n, ps) => n + ps.length, 0));
  });
  consumer.on(CRASH, ({ payload }) => {
    leave(`consumer crashed: ${payload.error.message}`);
    // A lost broker is rejoined by the processor (kafka/rejoin.ts): not a reason to exit.
    if (!payload.restart && !isBrokerLoss(payload.error)) {
      log.error({ err: payload.error.message }, 'consumer crashed and will not restart');
      for (const listener of fatal) listener(payload.error);
    }
  });
  consumer.on(DISCONNECT, () => leave('disconnected from Kafka'));
  consumer.on(STOP, () => leave('consumer stopped'));
  return {
    state: () => state,
    onFatal: (listener) => void fatal.add(listener),
  };
}
