// Progress bars of the operator commands: on stderr, only when stderr is a terminal and --quiet is not
// given (a pipe or a CI log gets no control characters). The work reports progress the same either way.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Starts (or restarts) a bar for `total` units of `label`. */
  start(label: string, total: number): void;
  increment(units?: number): void;
  update(value: number): void;
  stop(): void;
}

const SILENT: Progress = { start() {}, increment() {}, update() {}, stop() {} };

export function createProgress(options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || !stream.isTTY) return SILENT;
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(label, total) {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label.padEnd(22)} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: false,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(total, 1), 0);
    },
    increment(units = 1) {
      bar?.increment(units);
    },
    update(value) {
      bar?.update(value);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
