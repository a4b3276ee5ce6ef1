/**
 * The command line as the original scripts took it, rewritten into ours before oclif parses it,
 * so a run_pretraining.py / run_classifier.py line works after swapping the program name:
 * `--snake_case` for `--kebab-case`, absl's booleans (`--do_train=true`, `--do_train=false`,
 * `--nodo_train`), and the original flags we name differently, ignore or refuse (a table per
 * command, original-flags.ts). It works from the command's flag definitions, whoever defined them.
 */
import { closest } from './did-you-mean.ts';

/** What the normaliser needs of an oclif flag definition. */
export interface FlagShape {
  type: 'boolean' | 'option';
  allowNo?: boolean;
  default?: unknown;
  aliases?: string[];
  hidden?: boolean;
}

/** An original flag that is not simply the snake_case spelling of one of ours. */
export type OriginalFlag =
  /** Another name of our flag `to` (kebab-case, without dashes). */
  | { to: string }
  /** Accepted and dropped, with a note on stderr: `why` says what stands in for it here. */
  | { ignore: string; bool?: boolean }
  /** Refused with a one-line usage error: `why` says what to do instead. */
  | { refuse: string; bool?: boolean }
  /** Accepted (and dropped) when its value is `only`, what we always do; any other value is refused with `why`. */
  | { only: string | number | boolean; refuse: string; bool?: boolean };

export type OriginalFlagTable = Record<string, OriginalFlag>;

export interface Normalised {
  argv: string[];
  /** One line each, for stderr: the original flags accepted and ignored. */
  notes: string[];
}

/** A mistake in the command line found while rewriting it. */
export class ArgvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgvError';
  }
}

// absl's boolean values (lower-cased).
const TRUE = new Set(['true', 't', '1']);
const FALSE = new Set(['false', 'f', '0']);

function boolValue(flag: string, value: string): boolean {
  const v = value.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ArgvError(`${flag}: expected true or false, got "${value}"`);
}

const kebab = (name: string): string => name.replaceAll('_', '-');

interface Resolved {
  name: string;
  flag: FlagShape;
}

/**
 * Rewrites `argv` for oclif. Everything from `--` on, short flags and arguments pass through;
 * a flag neither defined nor in `table` is an ArgvError naming the nearest known flag.
 */
export function normaliseArgv(argv: readonly string[], flags: Record<string, FlagShape>, table: OriginalFlagTable = {}): Normalised {
  const byName = new Map<string, Resolved>();
  for (const [name, flag] of Object.entries(flags)) {
    byName.set(name, { name, flag });
    for (const a of flag.aliases ?? []) if (!byName.has(a)) byName.set(a, { name, flag });
  }
  const original = new Map(Object.entries(table).map(([k, v]) => [kebab(k), v]));
  const resolve = (key: string): Resolved | undefined => {
    const direct = byName.get(key);
    if (direct) return direct;
    const entry = original.get(key);
    return entry && 'to' in entry ? byName.get(entry.to) : undefined;
  };

  const out: string[] = [];
  const notes: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('--')) {
      out.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const typed = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? undefined : arg.slice(eq + 1);
    const key = kebab(typed.slice(2));

    const found = resolve(key);
    if (found) {
      if (found.flag.type === 'option') {
        if (value !== undefined) out.push(`--${found.name}=${value}`);
        else {
          out.push(`--${found.name}`);
          // Its value passes as it is, even when it starts with dashes.
          if (i + 1 < argv.length) out.push(argv[++i]);
        }
      } else if (value === undefined || boolValue(typed, value)) out.push(`--${found.name}`);
      else out.push(...turnOff(typed, found));
      continue;
    }

    const special = original.get(key);
    if (special && !('to' in special)) {
      // A valued original flag given as `--flag value` takes the next word with it.
      let v = value;
      if (v === undefined && !special.bool && i + 1 < argv.length) v = argv[++i];
      handleSpecial(typed, special, v, notes);
      continue;
    }

    // absl's `--noflag` (and `--no_flag`, `--no-flag`) for a boolean.
    const negated = /^no-?(.+)$/.exec(key);
    if (negated && value === undefined) {
      const target = resolve(negated[1]);
      if (target?.flag.type === 'boolean') {
        out.push(...turnOff(typed, target));
        continue;
      }
      const off = original.get(negated[1]);
      if (off && !('to' in off) && off.bool) {
        handleSpecial(typed, off, 'false', notes);
        continue;
      }
    }

    const known = [...byName.entries()].filter(([, r]) => !r.flag.hidden).map(([n]) => n);
    const guess = closest(key, known);
    throw new ArgvError(`unknown flag ${typed}${guess ? `; did you mean --${guess}?` : ''}`);
  }
  return { argv: out, notes };
}

/** A boolean turned off: `--no-x` where oclif takes it; nothing where off is the default. */
function turnOff(typed: string, { name, flag }: Resolved): string[] {
  if (flag.allowNo) return [`--no-${name}`];
  if (flag.default !== true) return [];
  throw new ArgvError(`${typed}: --${name} cannot be turned off`);
}

function handleSpecial(typed: string, entry: Exclude<OriginalFlag, { to: string }>, value: string | undefined, notes: string[]): void {
  if ('ignore' in entry) {
    notes.push(`ignored: ${typed} (${entry.ignore})`);
    return;
  }
  if ('only' in entry) {
    const given = value ?? (entry.bool ? 'true' : undefined);
    if (given !== undefined && sameValue(entry.only, given, typed)) return;
  }
  throw new ArgvError(`${typed}: ${entry.refuse}`);
}

function sameValue(only: string | number | boolean, given: string, typed: string): boolean {
  if (typeof only === 'boolean') return boolValue(typed, given) === only;
  if (typeof only === 'number') return given.trim() !== '' && Number(given) === only;
  return given.toLowerCase() === only.toLowerCase();
}
