// Keeps a consumer in its group through a broker outage. kafkajs restarts a crashed consumer only when
// the error is retriable, and a broker that refuses every connection (a restart, a rolling upgrade)
// can surface as a non-retriable one: "Failed to find group coordinator" once every known broker
// refused. Without this the consumer stays stopped (the erasure and score consumers went quiet; the
// main consumer made the process exit). Those crashes are rejoined here, with backoff, until the
// broker answers; any other crash is left to the caller.
import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import type { Logger } from '../ops/logger.ts';

/** kafkajs errors that say the broker is not reachable right now, not that something is wrong. */
const BROKER_LOSS = new Set([
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
]);

/** True when the error, or an error it wraps (`cause`), is the broker being away. */
export function isBrokerLoss(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const name = (e as { name?: unknown }).name;
    if (typeof name === 'string' && BROKER_LOSS.has(name)) return true;
  }
  return false;
}

/** The delay before rejoin attempt `attempt` (1-based): doubling from `initialMs`, at most `maxMs`. */
export function rejoinDelay(attempt: number, initialMs = 1_000, maxMs = 30_000): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 20));
}

type RejoinableConsumer = Pick<Consumer, 'connect' | 'run' | 'on' | 'events'>;

export interface Rejoin {
  /** No rejoin after this (call before disconnecting at stop). */
  cancel(): void;
}

/**
 * Rejoins `consumer` (connect, then `run` with the same configuration: kafkajs keeps the subscription)
 * after a crash kafkajs does not restart and `isBrokerLoss` recognises. Attempts back off up to 30 s; a
 * rejoin that fails to join crashes again and schedules the next attempt; joining resets the backoff.
 */
export function rejoinAfterBrokerLoss(
  consumer: RejoinableConsumer,
  runConfig: ConsumerRunConfig,
  log: Logger,
  what: string,
): Rejoin {
  let cancelled = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (attempt > 0) log.info({ consumer: what, attempts: attempt }, 'consumer rejoined its group');
    attempt = 0;
  });
  const retryLater = (reason: string) => {
    if (cancelled) return;
    attempt++;
    const delayMs = rejoinDelay(attempt);
    log.warn(
      { consumer: what, err: reason, attempt, delayMs },
      'broker unreachable; the consumer rejoins its group',
    );
    timer = setTimeout(() => {
      if (cancelled) return;
      // A failure to join crashes again (the CRASH listener schedules the next attempt); a failure to
      // connect rejects here.
      consumer
        .connect()
        .then(() => consumer.run(runConfig))
        .catch((error: Error) => retryLater(error.message));
    }, delayMs);
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart && isBrokerLoss(payload.error)) retryLater(payload.error.message);
  });
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}
