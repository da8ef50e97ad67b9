// A second Kafka consumer transport, on node-rdkafka (librdkafka) instead of kafkajs: the part of kafkajs'
// Consumer that processor.ts and ops/ use, with the same semantics (one eachBatch per partition at a time,
// in offset order; resolveOffset; explicit commits; seek; pause/resume; GROUP_JOIN and CRASH events).
// librdkafka fetches and heartbeats on its own threads; one loop here polls it (consume(n), non-flowing),
// groups the records by partition and hands them over. node-rdkafka is an optional dependency (a native
// build), loaded only when this transport is created.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type {
  Batch,
  Consumer,
  ConsumerEvents,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  IHeaders,
  InstrumentationEvent,
  KafkaMessage,
  OffsetsByTopicPartition,
  TopicPartitionOffset,
} from 'kafkajs';
import { pino } from 'pino';
import { ConfigError, SETTINGS } from '../config.ts';
import type { Logger } from '../ops/logger.ts';
import type { KafkaSettings } from './client.ts';

/** What processor.ts and ops/ use of a consumer: kafkajs' Consumer is one, and so is this transport. */
export type ConsumerTransport = Pick<
  Consumer,
  | 'connect'
  | 'disconnect'
  | 'subscribe'
  | 'run'
  | 'commitOffsets'
  | 'seek'
  | 'pause'
  | 'resume'
  | 'on'
  | 'events'
>;

export interface RdkafkaConsumerOptions {
  config: KafkaSettings;
  groupId: string;
  /** Milliseconds (KAFKA_SESSION_TIMEOUT); 30 s by default, as kafkajs. */
  sessionTimeout?: number;
  heartbeatInterval?: number;
  /** Bytes fetched per partition per request, and the most one eachBatch call receives (1 MiB). */
  maxBytesPerPartition?: number;
  /**
   * Bytes waiting here for their batches in all (8 MiB, FETCH_MAX_BYTES); a quarter of it per fetch request and in
   * librdkafka's prefetch queue.
   */
  maxBytes?: number;
  /** eachBatch failures of one partition retried with backoff before a CRASH and a rejoin (as kafkajs). */
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
  logger?: Logger;
  clientIdSuffix?: string;
  /** librdkafka properties applied last (tuning, tests). */
  librdkafka?: Record<string, string | number | boolean>;
}

const MISSING =
  'KAFKA_CLIENT=rdkafka needs the optional dependency node-rdkafka, which did not build on this machine: ' +
  'run npm install node-rdkafka and read its build output';

// The parts of node-rdkafka used here, declared locally: typechecking must not need the optional package.
interface NativeError extends Error {
  code: number;
  isFatal?: boolean;
}
interface NativeTopicPartition {
  topic: string;
  partition: number;
  offset?: number;
}
interface NativeMessage {
  topic: string;
  partition: number;
  offset: number;
  value: Buffer | null;
  key?: Buffer | string | null;
  size: number;
  timestamp?: number;
  headers?: Array<Record<string, Buffer>>;
}
interface NativeConsumer {
  connect(options: { timeout: number }, cb: (error: NativeError | null) => void): void;
  disconnect(cb: () => void): void;
  subscribe(topics: string[]): void;
  unsubscribe(): void;
  assign(assignment: NativeTopicPartition[]): void;
  unassign(): void;
  consume(count: number, cb: (error: NativeError | null, messages: NativeMessage[]) => void): void;
  setDefaultConsumeTimeout(ms: number): void;
  commit(offsets: NativeTopicPartition[]): void;
  seek(
    position: Required<NativeTopicPartition>,
    timeoutMs: number,
    cb: (error?: NativeError | null) => void,
  ): void;
  pause(partitions: NativeTopicPartition[]): void;
  resume(partitions: NativeTopicPartition[]): void;
  getWatermarkOffsets(topic: string, partition: number): { highOffset: number };
  on(event: 'event.error', listener: (error: NativeError) => void): void;
  on(event: 'event.log', listener: (entry: { severity: number; fac: string; message: string }) => void): void;
}
interface NodeRdkafka {
  KafkaConsumer: new (global: Record<string, unknown>, topic: Record<string, unknown>) => NativeConsumer;
}

// librdkafka error codes met here.
const ERR = {
  ASSIGN_PARTITIONS: -175,
  REVOKE_PARTITIONS: -174,
  STATE: -172,
  OUTDATED: -167,
  TIMED_OUT: -185,
  TRANSPORT: -195,
  WAIT_COORD: -180,
  UNKNOWN_TOPIC_OR_PART: 3,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  REQUEST_TIMED_OUT: 7,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
} as const;
const RETRIABLE_COMMIT: ReadonlySet<number> = new Set([
  ERR.TIMED_OUT,
  ERR.TRANSPORT,
  ERR.WAIT_COORD,
  ERR.REQUEST_TIMED_OUT,
  ERR.COORDINATOR_LOAD_IN_PROGRESS,
  ERR.COORDINATOR_NOT_AVAILABLE,
  ERR.NOT_COORDINATOR,
]);

// kafkajs' event names, so listeners written for kafkajs work unchanged. Emitted here: CONNECT, DISCONNECT,
// STOP, CRASH, GROUP_JOIN, REBALANCING, COMMIT_OFFSETS; the others (fetch, heartbeat and request
// instrumentation) are accepted and never fire: librdkafka does that work natively.
const EVENTS: ConsumerEvents = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
};
const EVENT_NAMES: ReadonlySet<string> = new Set(Object.values(EVENTS));

/** Records taken per poll, and how long a poll waits for the first record (batches in flight, idle). */
const CONSUME_COUNT = 1000;
const CONSUME_WAIT_BUSY_MS = 10;
const CONSUME_WAIT_IDLE_MS = 100;
const SEEK_TIMEOUT_MS = 5_000;
/** Times librdkafka may go back by itself before it is taken as a real offset reset. */
const MAX_BACK_JUMPS = 3;

const SASL_MECHANISMS: Record<string, string> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
};

/** librdkafka's connection properties from the same settings as createKafka (client.ts). */
export function librdkafkaConnection(
  config: KafkaSettings,
  clientIdSuffix = '',
): Record<string, string | number | boolean> {
  const sasl = config.KAFKA_SASL_MECHANISM !== '';
  const protocol = config.KAFKA_SSL ? (sasl ? 'sasl_ssl' : 'ssl') : sasl ? 'sasl_plaintext' : 'plaintext';
  const props: Record<string, string | number | boolean> = {
    'metadata.broker.list': config.KAFKA_BROKERS.join(','),
    'client.id': config.KAFKA_CLIENT_ID + clientIdSuffix,
    'security.protocol': protocol,
  };
  if (sasl) {
    props['sasl.mechanisms'] = SASL_MECHANISMS[config.KAFKA_SASL_MECHANISM] ?? config.KAFKA_SASL_MECHANISM;
    props['sasl.username'] = config.KAFKA_SASL_USERNAME;
    props['sasl.password'] = config.KAFKA_SASL_PASSWORD;
  }
  // Without a CA file librdkafka uses OpenSSL's default CA paths (the system CAs), as Node's TLS does; the
  // broker's host name is checked (ssl.endpoint.identification.algorithm defaults to https).
  if (config.KAFKA_SSL && config.KAFKA_SSL_CA_FILE !== '')
    props['ssl.ca.location'] = config.KAFKA_SSL_CA_FILE;
  if (config.KAFKA_SSL && config.KAFKA_SSL_CERT_FILE !== '') {
    props['ssl.certificate.location'] = config.KAFKA_SSL_CERT_FILE;
    props['ssl.key.location'] = config.KAFKA_SSL_KEY_FILE;
  }
  return props;
}

/**
 * A kafkajs subscription as librdkafka topics: a regular expression becomes a topic string starting with `^`
 * (librdkafka matches it with POSIX extended syntax, so JavaScript-only constructs are refused here).
 */
export function librdkafkaTopics(topics: Array<string | RegExp>): string[] {
  return topics.map((topic) => {
    if (typeof topic === 'string') return topic;
    if (topic.flags.replace(/[gy]/g, '') !== '') {
      throw new Error(`rdkafka consumer: regular expression flags are not supported: ${String(topic)}`);
    }
    if (/\\[dDwWsSbBkpP]|\(\?|[*+?}]\?/.test(topic.source)) {
      throw new Error(
        `rdkafka consumer: ${String(topic)} uses JavaScript-only syntax; librdkafka matches topics with ` +
          'POSIX extended regular expressions (write [0-9] for \\d, no lookarounds or lazy quantifiers)',
      );
    }
    return topic.source.startsWith('^') ? topic.source : `^.*${topic.source}`;
  });
}

/** Whether the optional node-rdkafka built on this machine (tests and benchmarks skip it where not). */
export function rdkafkaAvailable(): boolean {
  try {
    loadNodeRdkafka();
    return true;
  } catch {
    return false;
  }
}

function loadNodeRdkafka(): NodeRdkafka {
  try {
    return createRequire(import.meta.url)('node-rdkafka') as NodeRdkafka;
  } catch (error) {
    const reason = String((error as Error).message ?? error).split('\n')[0];
    throw new ConfigError([`${MISSING} (loading it failed: ${reason})`]);
  }
}

/** One assigned partition: the records polled but not handed over yet, and where it stands. */
interface PartitionState {
  topic: string;
  partition: number;
  buffer: NativeMessage[];
  bufferedBytes: number;
  /** An eachBatch call is running for it. */
  busy: boolean;
  /** Bumped by seek, rewind and revocation: a batch handed over before is stale. */
  generation: number;
  /** The next offset not resolved yet (null: nothing polled since the assignment). */
  resolvedNext: number | null;
  /** The offset after the last record handed to eachBatch. */
  handedNext: number | null;
  /** The offset after the last record polled. */
  polledNext: number | null;
  /** Records polled were dropped (pause, failure): read again from resolvedNext once it is idle. */
  dirty: boolean;
  /** An absolute offset to seek to before the next poll. */
  pendingSeek: number | null;
  /** librdkafka went back on its own: fetch again from here (positions unchanged). */
  refetchAt: number | null;
  backJumps: number;
  /** Paused in librdkafka because its buffer is full. */
  flowPaused: boolean;
  nativePaused: boolean;
  revoked: boolean;
  failures: number;
  retryAt: number;
  /** When its buffer last went from empty to non-empty (oldest first is fair). */
  readySince: number;
}

export function createRdkafkaConsumer(options: RdkafkaConsumerOptions): ConsumerTransport {
  const Kafka = loadNodeRdkafka();
  const log = (options.logger ?? pino({ enabled: false })).child({ component: 'rdkafka-consumer' });
  const groupId = options.groupId;
  const sessionTimeout = options.sessionTimeout ?? 30_000;
  const maxBytesPerPartition =
    options.maxBytesPerPartition ?? Number(SETTINGS.FETCH_MAX_BYTES_PER_PARTITION.default);
  const maxBytes = options.maxBytes ?? Number(SETTINGS.FETCH_MAX_BYTES.default);
  const retries = options.retry?.retries ?? 5;
  const initialRetryTime = options.retry?.initialRetryTime ?? 300;
  const maxRetryTime = options.retry?.maxRetryTime ?? 30_000;
  // A partition stops fetching when this much waits for it here, and fetches again below one batch; all
  // stop while `maxBytes` waits here in all, and fetch again below half of it (kafkajs holds at most one
  // fetch of `maxBytes`: without this bound 60 partitions could buffer 120 MiB outside V8's heap).
  const bufferLimit = 2 * maxBytesPerPartition;

  const emitter = new EventEmitter();
  let eventId = 0;
  const emit = <T>(type: string, payload: T) => {
    const event: InstrumentationEvent<T> = { id: String(eventId++), type, timestamp: Date.now(), payload };
    emitter.emit(type, event);
  };

  let native: NativeConsumer | undefined;
  let subscription: string[] = [];
  let runConfig: ConsumerRunConfig | undefined;
  let running = false; // isRunning(): between run() and disconnect() or a crash
  let loopDone: Promise<void> | undefined;
  let stopLoop = false;
  let closing = false;
  let connecting: Promise<void> | undefined;
  let disconnecting: Promise<void> | undefined;

  const partitions = new Map<string, PartitionState>();
  const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  let pendingAssign: NativeTopicPartition[] | undefined;
  let pendingRevoke = false;
  let pendingRestart = false;
  let busyCount = 0;
  let idleWaiters: Array<() => void> = [];
  let firstJoin: (() => void) | undefined;
  /** GROUP_JOIN with no partitions was emitted for a subscription that matches no topic. */
  let idleReported = false;

  // Paused by the application: a whole topic, or some of its partitions (kept across rebalances, as kafkajs).
  const pausedTopics = new Map<string, 'all' | Set<number>>();
  const userPaused = (p: { topic: string; partition: number }) => {
    const entry = pausedTopics.get(p.topic);
    return entry === 'all' || (entry?.has(p.partition) ?? false);
  };

  /**
   * The high watermark each buffered record's partition had just before the poll that returned it: a
   * batch reports the backlog as it stood when its records were read, as a kafkajs fetch response does.
   * Read when the batch starts instead, it would count the records librdkafka fetched meanwhile and has
   * not handed over yet, so a partition read as fast as it is written would seem always behind (the
   * backlog gate then held its children again and again: bench (d) p50 1.3 s).
   */
  const polledHigh = new WeakMap<NativeMessage, number>();
  // Commits in flight, answered by offset_commit_cb; matched by their offsets, else oldest first.
  const commits: Array<{ signature: string; resolve: () => void; reject: (error: Error) => void }> = [];
  const signatureOf = (offsets: NativeTopicPartition[]) =>
    offsets
      .map((o) => `${o.topic}/${o.partition}@${o.offset}`)
      .sort()
      .join(',');

  function onRebalance(
    this: NativeConsumer,
    error: NativeError | undefined,
    assignment: NativeTopicPartition[],
  ) {
    if (closing) {
      // disconnect(): the batches are done, so librdkafka's revocation is answered at once and the member
      // leaves the group (an assignment still queued is taken, then revoked the same way).
      if (error?.code === ERR.ASSIGN_PARTITIONS) this.assign(assignment);
      else this.unassign();
      return;
    }
    if (error?.code === ERR.ASSIGN_PARTITIONS) {
      pendingAssign = assignment;
    } else if (error?.code === ERR.REVOKE_PARTITIONS) {
      // Eager protocol: everything is revoked; batches in flight finish (isStale() turns true) first.
      pendingRevoke = true;
      for (const p of partitions.values()) {
        p.revoked = true;
        p.generation++;
        dropBuffer(p);
      }
      emit(EVENTS.REBALANCING, { groupId, memberId: '' });
    } else {
      log.warn({ err: error?.message, code: error?.code }, 'rebalance failed; unassigning');
      this.unassign();
    }
  }

  function onOffsetCommit(error: NativeError | number | undefined, offsets: NativeTopicPartition[]) {
    const signature = signatureOf(offsets);
    const index = Math.max(
      0,
      commits.findIndex((c) => c.signature === signature),
    );
    const pending = commits.splice(index, 1)[0];
    if (!pending) return;
    if (error === undefined || error === null) pending.resolve();
    else pending.reject(nativeError(error, 'offset commit failed'));
  }

  function nativeError(error: NativeError | number, context: string): NativeError {
    if (typeof error === 'number') {
      return Object.assign(new Error(`${context}: librdkafka error ${error}`), { code: error });
    }
    return error;
  }

  function dropBuffer(p: PartitionState) {
    if (p.buffer.length > 0) p.dirty = true;
    p.buffer = [];
    p.bufferedBytes = 0;
  }

  /**
   * No topic matches the subscription (yet): librdkafka does not join the group (kafkajs joins and is
   * assigned nothing), and joins once a metadata refresh (topic.metadata.refresh.interval.ms) finds one.
   * To listeners written for kafkajs that wait is the same: GROUP_JOIN with no partitions, once, so
   * readiness says idle rather than joining for ever; run() need not wait for a join either.
   */
  function idleWhileNothingMatches() {
    if (!idleReported && partitions.size === 0 && !pendingAssign) {
      idleReported = true;
      log.warn({ topics: subscription }, 'no topic matches the subscription yet: idle, not in the group');
      emitJoin({});
    } else firstJoin?.();
  }

  /** kafkajs' GROUP_JOIN with this member's assignment; run() returns once the first one came. */
  function emitJoin(memberAssignment: Record<string, number[]>) {
    emit(EVENTS.GROUP_JOIN, {
      duration: 0,
      groupId,
      isLeader: false,
      leaderId: '',
      groupProtocol: 'roundrobin',
      memberId: '',
      memberAssignment,
    });
    firstJoin?.();
  }

  function crash(error: Error, restart: boolean) {
    log.error({ err: error.message, restart }, 'rdkafka consumer crashed');
    emit(EVENTS.CRASH, { error, groupId, restart });
    if (restart) {
      pendingRestart = true;
    } else {
      running = false;
      stopLoop = true;
    }
  }

  // ---- the poll loop: control operations between polls, so no record polled before them slips through ----

  async function loop(): Promise<void> {
    let idle = false;
    while (!stopLoop) {
      await applyControl();
      if (stopLoop) break;
      const highs = knownHighs();
      const messages = await poll(idle ? CONSUME_WAIT_IDLE_MS : CONSUME_WAIT_BUSY_MS);
      idle = messages.length === 0;
      for (const m of messages) {
        const high = highs.get(key(m.topic, m.partition));
        if (high !== undefined) polledHigh.set(m, high);
        accept(m);
      }
      schedule();
    }
  }

  /** librdkafka's cached high watermark of each assigned partition (none before its first fetch). */
  function knownHighs(): Map<string, number> {
    const highs = new Map<string, number>();
    for (const [k, p] of partitions) {
      if (p.revoked) continue;
      try {
        const high = native!.getWatermarkOffsets(p.topic, p.partition).highOffset;
        if (high >= 0) highs.set(k, high);
      } catch {
        // not fetched yet
      }
    }
    return highs;
  }

  /**
   * Waits up to `waitMs` for the first record, then takes what else librdkafka holds, without waiting.
   * One consume(n) call cannot do it: its timeout is per record, so records arriving in bursts closer
   * together than the timeout (a producer sending every 100 ms, an idle wait of 100 ms) were gathered
   * until n came, and a record waited there for several bursts (bench (d) p50 0.3 s instead of 0.1).
   */
  async function poll(waitMs: number): Promise<NativeMessage[]> {
    const first = await consume(1, waitMs);
    if (first.length === 0) return first;
    return [...first, ...(await consume(CONSUME_COUNT - 1, 0))];
  }

  function consume(count: number, waitMs: number): Promise<NativeMessage[]> {
    return new Promise((resolve) => {
      native!.setDefaultConsumeTimeout(waitMs);
      native!.consume(count, (error, messages) => {
        if (error) {
          if (error.isFatal) crash(error, false);
          else if (error.code === ERR.UNKNOWN_TOPIC_OR_PART) idleWhileNothingMatches();
          else if (error.code === ERR.INCONSISTENT_GROUP_PROTOCOL) {
            // kafkajs members advertise "RoundRobinAssigner", librdkafka "roundrobin": one group cannot mix them.
            log.warn({ groupId }, 'the group has kafkajs members; this member joins once they have all left');
          } else log.warn({ err: error.message, code: error.code }, 'Kafka poll reported an error');
          // Do not spin on a repeating error: wait as long as an idle poll would.
          setTimeout(() => resolve([]), CONSUME_WAIT_IDLE_MS).unref();
          return;
        }
        resolve(messages);
      });
    });
  }

  /** A record from a poll: buffered for its partition, or dropped (its partition will read it again). */
  function accept(m: NativeMessage) {
    const p = partitions.get(key(m.topic, m.partition));
    if (!p || p.revoked) return;
    if (p.pendingSeek !== null) return; // read before the seek: the seek repositions the partition
    if (p.polledNext !== null && m.offset < p.polledNext) {
      // librdkafka went back by itself. Its known case: a seek() while the partition's first offset lookup
      // is in flight makes the stale answer restart the lookup, which then resets to the earliest offset
      // after the seek (librdkafka 2.12). Such records were polled before: drop them, fetch on from here.
      if (p.backJumps < MAX_BACK_JUMPS) {
        if (p.refetchAt === null) {
          p.backJumps++;
          p.refetchAt = p.polledNext;
          log.warn(
            { topic: p.topic, partition: p.partition, offset: m.offset, expected: p.polledNext },
            'librdkafka went back to an offset already read; fetching on from the expected one',
          );
        }
        return;
      }
      // Again and again: a real offset reset (the log was truncated, the topic recreated). Start over there.
      log.warn({ topic: p.topic, partition: p.partition, offset: m.offset }, 'offset reset by librdkafka');
      p.generation++;
      dropBuffer(p);
      p.dirty = false;
      p.refetchAt = null;
      p.resolvedNext = p.handedNext = m.offset;
    } else if (p.refetchAt === null) p.backJumps = 0;
    p.resolvedNext ??= m.offset;
    p.handedNext ??= m.offset;
    p.polledNext = m.offset + 1;
    // Paused, or records before these were dropped: these are read again too, after the rewind.
    if (!running || userPaused(p) || p.dirty) {
      p.dirty = true;
      return;
    }
    if (p.buffer.length === 0) p.readySince = Date.now();
    p.buffer.push(m);
    p.bufferedBytes += m.size + (m.key?.length ?? 0);
  }

  async function applyControl() {
    if (pendingRevoke && ![...partitions.values()].some((p) => p.busy)) {
      pendingRevoke = false;
      partitions.clear();
      native!.unassign();
    }
    if (pendingAssign) {
      const assignment = pendingAssign;
      pendingAssign = undefined;
      assign(assignment);
    }
    if (pendingRestart && !pendingRevoke && busyCount === 0) {
      // kafkajs restarts a crashed consumer by joining the group again: leave, then subscribe again.
      pendingRestart = false;
      native!.unsubscribe();
      native!.subscribe(subscription);
    }
    const now = Date.now();
    let buffered = 0;
    for (const p of partitions.values()) buffered += p.bufferedBytes;
    const allFull = buffered >= maxBytes;
    const allFree = buffered < maxBytes / 2;
    for (const p of partitions.values()) {
      if (p.revoked) continue;
      // Records dropped (pause, failure, unresolved rest of a batch): read again from the resolved offset.
      if (p.dirty && !p.busy) {
        dropBuffer(p);
        p.dirty = false;
        if (p.resolvedNext !== null && p.polledNext !== null && p.polledNext > p.resolvedNext) {
          p.pendingSeek ??= p.resolvedNext;
        }
      }
      const flowFull = p.bufferedBytes >= bufferLimit || allFull;
      const flowFree = p.bufferedBytes < maxBytesPerPartition && allFree;
      if (flowFull) p.flowPaused = true;
      else if (flowFree) p.flowPaused = false;
      // Pause before seeking (a pause sets the fetch position to the last polled record; the seek overrides).
      if ((userPaused(p) || p.flowPaused) && !p.nativePaused) {
        native!.pause([{ topic: p.topic, partition: p.partition }]);
        p.nativePaused = true;
      }
      if (p.pendingSeek !== null) await seekNow(p, p.pendingSeek);
      else if (p.refetchAt !== null && (await nativeSeek(p, p.refetchAt)) === null) p.refetchAt = null;
      if (p.revoked) continue; // revoked while seeking
      if (!userPaused(p) && !p.flowPaused && p.nativePaused && p.pendingSeek === null && p.retryAt <= now) {
        native!.resume([{ topic: p.topic, partition: p.partition }]);
        p.nativePaused = false;
      }
    }
  }

  function assign(assignment: NativeTopicPartition[]) {
    idleReported = false;
    partitions.clear();
    native!.assign(assignment);
    const memberAssignment: Record<string, number[]> = {};
    for (const { topic, partition } of assignment) {
      partitions.set(key(topic, partition), {
        topic,
        partition,
        buffer: [],
        bufferedBytes: 0,
        busy: false,
        generation: 0,
        resolvedNext: null,
        handedNext: null,
        polledNext: null,
        dirty: false,
        pendingSeek: null,
        refetchAt: null,
        backJumps: 0,
        flowPaused: false,
        nativePaused: false,
        revoked: false,
        failures: 0,
        retryAt: 0,
        readySince: 0,
      });
      (memberAssignment[topic] ??= []).push(partition);
    }
    for (const list of Object.values(memberAssignment)) list.sort((a, b) => a - b);
    emitJoin(memberAssignment);
  }

  async function seekNow(p: PartitionState, offset: number) {
    if ((await nativeSeek(p, offset)) !== null) return; // retried before the next poll
    // (A newer seek() while this one ran stays pending, with its own positions.)
    if (p.pendingSeek === offset) {
      p.pendingSeek = null;
      p.refetchAt = null;
      p.resolvedNext = p.handedNext = p.polledNext = offset;
    }
  }

  /** Moves librdkafka's fetch position; null when done, else the error (logged). */
  async function nativeSeek(p: PartitionState, offset: number): Promise<NativeError | null> {
    const error = await new Promise<NativeError | null | undefined>((resolve) =>
      native!.seek({ topic: p.topic, partition: p.partition, offset }, SEEK_TIMEOUT_MS, resolve),
    );
    if (!error) return null;
    // Just assigned, its committed offset not fetched yet: librdkafka refuses (ERR__STATE), or the fetch
    // start overtook the seek (ERR__OUTDATED); retried before the next poll.
    const where = { err: error.message, topic: p.topic, partition: p.partition, offset };
    if (error.code === ERR.STATE || error.code === ERR.OUTDATED) {
      log.debug(where, 'partition not fetching yet; seek retried');
    } else log.warn(where, 'seek failed; retrying');
    return error;
  }

  /** Starts eachBatch calls: partitions with records, oldest waiting first, up to the concurrency. */
  function schedule() {
    const concurrency = runConfig?.partitionsConsumedConcurrently ?? 1;
    const now = Date.now();
    // A restart pending lets the batches in flight finish and starts no new ones, as kafkajs' crash does.
    while (running && !pendingRestart && busyCount < concurrency) {
      let next: PartitionState | undefined;
      for (const p of partitions.values()) {
        if (p.busy || p.revoked || p.buffer.length === 0 || p.pendingSeek !== null || p.dirty) continue;
        if (userPaused(p) || p.retryAt > now) continue;
        if (!next || p.readySince < next.readySince) next = p;
      }
      if (!next) return;
      startBatch(next);
    }
  }

  function startBatch(p: PartitionState) {
    let bytes = 0;
    let count = 0;
    while (count < p.buffer.length && (count === 0 || bytes < maxBytesPerPartition)) {
      const m = p.buffer[count++]!;
      bytes += m.size + (m.key?.length ?? 0);
    }
    const taken = p.buffer.splice(0, count);
    p.bufferedBytes -= bytes;
    p.readySince = Date.now();
    p.busy = true;
    busyCount++;
    const generation = p.generation;
    const last = taken[taken.length - 1]!;
    p.handedNext = last.offset + 1;
    const payload = batchPayload(p, generation, taken);
    const handler = runConfig!.eachBatch!;
    Promise.resolve()
      .then(() => handler(payload))
      .then(
        () => {
          p.failures = 0;
          if (runConfig!.eachBatchAutoResolve !== false) payload.resolveOffset(String(last.offset));
        },
        (error: unknown) => batchFailed(p, generation, error),
      )
      .finally(() => {
        p.busy = false;
        busyCount--;
        // Handed over but not resolved: read again from the resolved offset (kafkajs fetches from there).
        const current = generation === p.generation && !p.revoked;
        if (current && p.resolvedNext !== null && p.handedNext !== null && p.resolvedNext < p.handedNext) {
          p.generation++;
          dropBuffer(p);
          p.dirty = true;
        }
        if (busyCount === 0) {
          for (const resolve of idleWaiters) resolve();
          idleWaiters = [];
        }
        schedule();
      });
  }

  function batchFailed(p: PartitionState, generation: number, error: unknown) {
    const err = error instanceof Error ? error : new Error(String(error));
    log.error(
      { err: err.message, topic: p.topic, partition: p.partition, failures: p.failures + 1 },
      'eachBatch failed; its unresolved records are read again',
    );
    if (generation !== p.generation || p.revoked) return;
    p.failures++;
    const delay = Math.min(maxRetryTime, initialRetryTime * 2 ** (p.failures - 1));
    p.retryAt = Date.now() + delay;
    if (p.failures > retries) {
      p.failures = 0;
      crash(err, true);
    }
  }

  function batchPayload(p: PartitionState, generation: number, taken: NativeMessage[]): EachBatchPayload {
    const { topic, partition } = p;
    const messages: KafkaMessage[] = taken.map(toKafkaMessage);
    const firstOffset = messages[0]!.offset;
    const lastOffset = messages[messages.length - 1]!.offset;
    let highWatermark = String(Number(lastOffset) + 1);
    try {
      // As known before the last record was polled; else (polled before the partition's first fetch
      // answer was in) as known now.
      const high =
        polledHigh.get(taken[taken.length - 1]!) ?? native!.getWatermarkOffsets(topic, partition).highOffset;
      if (high >= 0) highWatermark = String(Math.max(high, Number(lastOffset) + 1));
    } catch {
      // no cached watermark yet: the record after the last one is the best known
    }
    const batch: Batch = {
      topic,
      partition,
      highWatermark,
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => firstOffset,
      lastOffset: () => lastOffset,
      offsetLag: () => String(Math.max(0, Number(highWatermark) - 1 - Number(lastOffset))),
      offsetLagLow: () => String(Math.max(0, Number(highWatermark) - 1 - Number(firstOffset))),
    };
    const stale = () => generation !== p.generation || p.revoked;
    return {
      batch,
      resolveOffset(offset: string) {
        if (stale()) return;
        const next = Number(offset) + 1;
        if (p.resolvedNext === null || next > p.resolvedNext) p.resolvedNext = next;
      },
      // librdkafka heartbeats on its own thread.
      heartbeat: () => Promise.resolve(),
      pause() {
        consumer.pause([{ topic, partitions: [partition] }]);
        return () => consumer.resume([{ topic, partitions: [partition] }]);
      },
      async commitOffsetsIfNecessary(offsets?: OffsetsByTopicPartition) {
        if (!offsets) return; // autoCommit is off: nothing is necessary
        await consumer.commitOffsets(
          offsets.topics.flatMap((t) => t.partitions.map((o) => ({ topic: t.topic, ...o }))),
        );
      },
      uncommittedOffsets: () => ({
        topics:
          p.resolvedNext === null
            ? []
            : [{ topic, partitions: [{ partition, offset: String(p.resolvedNext) }] }],
      }),
      isRunning: () => running,
      isStale: stale,
    };
  }

  function whenIdle(): Promise<void> {
    if (busyCount === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  async function commitOnce(offsets: NativeTopicPartition[]) {
    await new Promise<void>((resolve, reject) => {
      const entry = { signature: signatureOf(offsets), resolve, reject };
      commits.push(entry);
      try {
        native!.commit(offsets);
      } catch (error) {
        commits.splice(commits.indexOf(entry), 1);
        reject(error as Error);
      }
    });
  }

  async function open() {
    const client = new Kafka.KafkaConsumer(
      {
        ...librdkafkaConnection(options.config, options.clientIdSuffix),
        'group.id': groupId,
        'session.timeout.ms': sessionTimeout,
        'heartbeat.interval.ms': options.heartbeatInterval ?? Math.max(500, Math.floor(sessionTimeout / 10)),
        // kafkajs' RoundRobinAssigner, eager: every partition is revoked, then all assigned again.
        'partition.assignment.strategy': 'roundrobin',
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'max.partition.fetch.bytes': maxBytesPerPartition,
        // The records wait here (up to maxBytes, see bufferLimit): librdkafka needs only enough ahead to
        // refill that, not maxBytes more in flight and maxBytes more queued (peak RSS of bench (a) with
        // 100,000 events: about 30 MB less, the same rate). librdkafka refuses a fetch.max.bytes below
        // message.max.bytes (1 MB).
        'fetch.max.bytes': Math.max(1_000_000, maxBytesPerPartition, Math.ceil(maxBytes / 4)),
        'queued.max.messages.kbytes': Math.ceil(maxBytes / 4 / 1024),
        // With the prefetch queue that small, librdkafka's default 1 s pause once it is full starves a
        // backlog: ask again soon instead.
        'fetch.queue.backoff.ms': 20,
        log_level: 4,
        rebalance_cb: onRebalance,
        offset_commit_cb: onOffsetCommit,
        ...options.librdkafka,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    client.on('event.error', (error) => {
      if (error.isFatal) crash(error, false);
      else log.warn({ err: error.message, code: error.code }, 'librdkafka error (it retries)');
    });
    client.on('event.log', (entry) =>
      log.warn({ facility: entry.fac, severity: entry.severity }, entry.message),
    );
    await new Promise<void>((resolve, reject) =>
      client.connect({ timeout: 30_000 }, (error) => (error ? reject(error) : resolve())),
    );
    native = client;
    emit(EVENTS.CONNECT, null);
  }

  async function close() {
    await connecting?.catch(() => undefined);
    if (!native) return;
    // As kafkajs: no new batches; the ones in flight finish (the loop keeps serving their commits).
    running = false;
    await whenIdle();
    stopLoop = true;
    await loopDone;
    closing = true;
    const client = native;
    await new Promise<void>((resolve) => client.disconnect(() => resolve()));
    native = undefined;
    loopDone = undefined;
    closing = false;
    // Connecting again starts afresh, as with kafkajs (subscribe and run again).
    partitions.clear();
    subscription = [];
    pendingAssign = undefined;
    pendingRevoke = pendingRestart = false;
    for (const pending of commits.splice(0)) pending.resolve();
    emit(EVENTS.STOP, null);
    emit(EVENTS.DISCONNECT, null);
  }

  // One listener type for kafkajs' overloads: each event is an InstrumentationEvent with its own payload.
  const on = ((eventName: string, listener: (event: InstrumentationEvent<unknown>) => void) => {
    if (!EVENT_NAMES.has(eventName)) {
      throw new Error(`rdkafka consumer: event name should be one of ${[...EVENT_NAMES].join(', ')}`);
    }
    emitter.on(eventName, listener);
    return () => void emitter.off(eventName, listener);
  }) as ConsumerTransport['on'];

  const consumer: ConsumerTransport = {
    events: EVENTS,

    connect() {
      // One native client per consumer; a failed connect may be tried again.
      connecting ??= open().catch((error: unknown) => {
        connecting = undefined;
        throw error;
      });
      return connecting;
    },

    async subscribe(request: ConsumerSubscribeTopics | ConsumerSubscribeTopic) {
      if (!native) throw new Error('rdkafka consumer: connect() before subscribe()');
      if (request.fromBeginning === false) {
        throw new Error('rdkafka consumer: a new group always starts at the earliest offset (fromBeginning)');
      }
      const topics = 'topics' in request ? request.topics : [request.topic];
      subscription = [...subscription, ...librdkafkaTopics(topics)];
      native.subscribe(subscription);
    },

    async run(config?: ConsumerRunConfig) {
      if (!native) throw new Error('rdkafka consumer: connect() before run()');
      if (running) return;
      if (!config?.eachBatch || config.eachMessage) {
        throw new Error('rdkafka consumer: run() supports eachBatch only');
      }
      if (config.autoCommit !== false) {
        throw new Error('rdkafka consumer: run() needs autoCommit: false (commit with commitOffsets)');
      }
      runConfig = config;
      running = true;
      stopLoop = false;
      // As kafkajs, run() returns once the group is joined (or librdkafka says no topic matches, so it
      // will not join); bounded by the session timeout.
      const joined = new Promise<void>((resolve) => {
        firstJoin = resolve;
        setTimeout(resolve, sessionTimeout).unref();
      });
      loopDone = loop().catch((error: Error) => crash(error, false));
      await joined;
      firstJoin = undefined;
    },

    async commitOffsets(topicPartitions) {
      if (!native || !loopDone || stopLoop) return; // as kafkajs: a consumer not running commits nothing
      const offsets = topicPartitions.map(({ topic, partition, offset }) => ({
        topic,
        partition,
        offset: Number(offset),
      }));
      if (offsets.length === 0) return;
      for (let attempt = 0; ; attempt++) {
        try {
          await commitOnce(offsets);
          break;
        } catch (error) {
          const code = (error as NativeError).code;
          if (!RETRIABLE_COMMIT.has(code) || attempt >= retries) throw error;
          const delay = Math.min(maxRetryTime, initialRetryTime * 2 ** attempt);
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      emit(EVENTS.COMMIT_OFFSETS, {
        groupId,
        memberId: '',
        groupGenerationId: -1,
        topics: topicsOf(topicPartitions),
      });
    },

    seek({ topic, partition, offset }: TopicPartitionOffset) {
      const p = partitions.get(key(topic, partition));
      const at = Number(offset);
      if (!Number.isInteger(at) || at < 0) throw new Error(`rdkafka consumer: invalid seek offset ${offset}`);
      if (!p || p.revoked) {
        log.warn({ topic, partition, offset }, 'seek on a partition not assigned here; ignored');
        return;
      }
      p.generation++; // the batch in flight, if any, is stale now
      dropBuffer(p);
      p.dirty = false;
      p.pendingSeek = at;
      p.refetchAt = null;
      p.backJumps = 0;
      p.resolvedNext = p.handedNext = p.polledNext = at;
    },

    pause(topics) {
      for (const { topic, partitions: some } of topics) {
        if (!some) pausedTopics.set(topic, 'all');
        else {
          const entry = pausedTopics.get(topic);
          if (entry === 'all') continue;
          pausedTopics.set(topic, new Set([...(entry ?? []), ...some]));
        }
      }
      // What was polled for them and not resolved is dropped, and read again after resume().
      for (const p of partitions.values()) if (userPaused(p)) dropBuffer(p);
    },

    resume(topics) {
      for (const { topic, partitions: some } of topics) {
        const entry = pausedTopics.get(topic);
        if (!some || !entry) {
          pausedTopics.delete(topic);
          continue;
        }
        const still =
          entry === 'all'
            ? [...partitions.values()].filter((p) => p.topic === topic).map((p) => p.partition)
            : [...entry];
        const left = still.filter((n) => !some.includes(n));
        if (left.length === 0) pausedTopics.delete(topic);
        else pausedTopics.set(topic, new Set(left));
      }
      schedule();
    },

    disconnect() {
      if (!connecting) return Promise.resolve();
      disconnecting ??= close().finally(() => {
        connecting = disconnecting = undefined;
      });
      return disconnecting;
    },

    on,
  };

  return consumer;
}

function topicsOf(offsets: Array<{ topic: string; partition: number; offset: string }>) {
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const { topic, partition, offset } of offsets) {
    const list = byTopic.get(topic) ?? [];
    list.push({ partition, offset });
    byTopic.set(topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** A librdkafka record in kafkajs' shape: offsets and timestamps as strings, headers as an object. */
function toKafkaMessage(m: NativeMessage): KafkaMessage {
  const headers: IHeaders = {};
  for (const header of m.headers ?? []) {
    for (const [name, value] of Object.entries(header)) {
      const seen = headers[name];
      // A repeated header becomes an array, as in kafkajs.
      headers[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
  }
  const key =
    m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
  return {
    key,
    value: m.value,
    timestamp: String(m.timestamp ?? -1),
    attributes: 0,
    offset: String(m.offset),
    headers,
  };
}
