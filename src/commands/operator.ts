// The operator tools, registered on the CLI in one place: each lives in its own module.
import type { Command } from 'commander';
import type { Wrap } from '../ops-tools/command.ts';
import { registerDlq } from './dlq.ts';
import { registerGdpr } from './gdpr.ts';
import { registerGenerate } from './generate.ts';
import { registerImport } from './import.ts';
import { registerReplay } from './replay.ts';

export function registerOperatorCommands(program: Command, wrap: Wrap): void {
  registerImport(program, wrap);
  registerReplay(program, wrap);
  registerDlq(program, wrap);
  registerGdpr(program, wrap);
  registerGenerate(program, wrap);
}
