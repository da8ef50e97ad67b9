// Gathers the records the consumer hands over partition by partition into batches that span partitions:
// one transaction (and one set of round trips) for many partitions, and parents and children read from
// different topics at the same moment land in the same transaction instead of parking.
import type { SourceRecord } from './decode.ts';

export interface CollectorOptions<R> {
  /** A batch closes once it holds this many records (a single submission is never split). */
  maxRecords: number;
  /** How long the first submission waits for others before its batch is applied alone. */
  lingerMs: number;
  /** How many batches may be applied at once. */
  concurrency: number;
  /**
   * Lower goes first: when more is waiting than a batch holds, the records of lower priority wait for
   * the next batch (parents before the children that refer to them).
   */
  priority?(records: SourceRecord[]): number;
  /** Applies one batch: one segment per topic-partition, each in offset order. */
  apply(segments: SourceRecord[][]): Promise<R>;
}

export interface Collector<R> {
  /**
   * Hands over one partition's next records (in offset order, after the ones handed over before) and
   * resolves with the result of the batch that applied them, or rejects with its error.
   */
  submit(records: SourceRecord[]): Promise<R>;
  /** Records handed over and not yet in a batch. */
  readonly pending: number;
}

interface Submission<R> {
  key: string;
  priority: number;
  records: SourceRecord[];
  resolve(result: R): void;
  reject(error: unknown): void;
}

export function createCollector<R>(options: CollectorOptions<R>): Collector<R> {
  const waiting: Submission<R>[] = [];
  let waitingRecords = 0;
  let running = 0;
  let timer: NodeJS.Timeout | undefined;

  function schedule(): void {
    if (waiting.length === 0 || running >= options.concurrency) return;
    if (waitingRecords >= options.maxRecords) {
      launch();
      return;
    }
    timer ??= setTimeout(launch, options.lingerMs);
  }

  function launch(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (waiting.length === 0 || running >= options.concurrency) return;
    const taken: Submission<R>[] = [];
    const keys = new Set<string>();
    let records = 0;
    for (let i = 0; i < waiting.length;) {
      const s = waiting[i]!;
      const fits = taken.length === 0 || records + s.records.length <= options.maxRecords;
      // One segment per partition in a batch (a partition hands over its next records only after this
      // batch resolves anyway).
      if (!fits || keys.has(s.key)) {
        i++;
        continue;
      }
      taken.push(s);
      keys.add(s.key);
      records += s.records.length;
      waiting.splice(i, 1);
    }
    waitingRecords -= records;
    running++;
    void options
      .apply(taken.map((s) => s.records))
      .then(
        (result) => {
          for (const s of taken) s.resolve(result);
        },
        (error: unknown) => {
          for (const s of taken) s.reject(error);
        },
      )
      .finally(() => {
        running--;
        schedule();
      });
    schedule();
  }

  return {
    submit(records) {
      if (records.length === 0) throw new Error('submit needs at least one record');
      const { topic, partition } = records[0]!.position;
      return new Promise<R>((resolve, reject) => {
        const priority = options.priority?.(records) ?? 0;
        // Kept in priority order, first come first within one priority.
        let at = waiting.length;
        while (at > 0 && waiting[at - 1]!.priority > priority) at--;
        waiting.splice(at, 0, { key: `${topic}\u0000${partition}`, priority, records, resolve, reject });
        waitingRecords += records.length;
        schedule();
      });
    },
    get pending() {
      return waitingRecords;
    },
  };
}
