// What src/cli.ts hands each operator command: the loaded config and logger, and its `wrap` (which loads
// them lazily and records the exit code). Commands register themselves with `register*(program, wrap)`.
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config.ts';
import type { Logger } from '../ops/logger.ts';

export interface CommandContext {
  config: Config;
  logger: Logger;
}

export type Wrap = <A extends unknown[]>(
  action: (ctx: CommandContext, ...args: A) => Promise<number>,
) => (...args: A) => Promise<void>;

export type Register = (program: Command, wrap: Wrap) => void;

/** A commander option parser for whole numbers (commander passes the previous value second). */
export function wholeNumber(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number`);
    return n;
  };
}

/** A commander option parser for shares from 0 to 1. */
export function share(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number from 0 to 1`);
    return n;
  };
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
