// The confirmation every data-changing operator command asks for: `--yes` answers it; on a terminal the
// operator is asked; anywhere else (a pipe, CI, a cron job without --yes) the command refuses.
import { createInterface } from 'node:readline/promises';

/** Exit code of a command that refused to change data without --yes (a usage error). */
export const REFUSED_EXIT = 2;

export interface ConfirmOptions {
  yes?: boolean;
  /** What the command is about to do, as a question: "re-publish 3 dead letters?" */
  question: string;
  /** The command line to suggest, e.g. "buddy-stream dlq replay --all --yes". */
  command: string;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
}

/** True when the command may go on. Prints why it refuses (stderr) when it may not. */
export async function confirm(options: ConfirmOptions): Promise<boolean> {
  if (options.yes) return true;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (!input.isTTY) {
    output.write(
      `buddy-stream: refusing to ${options.question.replace(/\?$/, '')} without confirmation: ` +
        `standard input is not a terminal. Add --yes (${options.command} --yes), or --dry-run to see what it would do.\n`,
    );
    return false;
  }
  const rl = createInterface({ input, output });
  try {
    const answer = await rl.question(`${options.question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** The options every data-changing operator command takes. */
export interface ChangeOptions {
  dryRun?: boolean;
  yes?: boolean;
  quiet?: boolean;
}
