// The command line options of a settings table (config/setting-table.ts): one per
// setting, in table order, with the same spelling in every command.
import type { Command } from 'commander';
import { flagHelp, flagOf, flagSyntax, type SettingSpec } from '../config/index.ts';

/** The options of one setting: its own, and for a secret the one that removes it, for a switch its `--no-`. */
export function addSettingOptions(command: Command, spec: SettingSpec, group: string): void {
  command.option(flagSyntax(spec), flagHelp(spec, group));
  const prefix = spec.provider !== undefined ? `${spec.provider}: ` : '';
  if (spec.kind === 'secret') {
    command.option(
      `--clear-${spec.field}`,
      `${prefix}remove the stored ${group} ${spec.label.toLowerCase()}`,
    );
  }
  if (spec.kind === 'switch')
    command.option(`--no-${flagOf(spec).slice(2)}`, `${prefix}the opposite of ${flagOf(spec)}`);
}

/** The property commander gives the value of `flag` under: `--password-stdin` → `passwordStdin`. */
export function optionProperty(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
