/**
 * `albert pretrain --workers N`: re-run the same command under mpirun on this machine, N ranks,
 * for those who do not want to type the mpirun line. Under any other launcher (mpirun by hand,
 * srun) the ranks come from the MPI library and none of this is used.
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { OptionError, UserError } from '../util/errors.ts';

type Env = Record<string, string | undefined>;

/** Which mpirun: Open MPI's (ORTE/PRRTE) or Hydra (MPICH, Intel MPI); their options differ. */
export type MpirunKind = 'openmpi' | 'hydra';

export interface MpirunOptions {
  /** Ranks to start. */
  workers: number;
  /** The command's arguments as the user typed them (after the script), --workers included. */
  argv: string[];
  /** The Node executable (process.execPath). */
  node: string;
  /** Node's own options to keep (process.execArgv, e.g. a loader). */
  execArgv?: string[];
  /** The script Node runs (process.argv[1], e.g. bin/run.js). */
  script: string;
  /** Cores this machine offers (os.availableParallelism()). */
  cores: number;
  /** Running as root: Open MPI refuses unless told it is wanted. */
  isRoot: boolean;
  env: Env;
  /** The mpirun to run (default: `mpirun`, looked up on PATH). */
  mpirun?: string;
  /** Its kind (default 'openmpi'); runUnderMpirun asks `mpirun --version`. */
  kind?: MpirunKind;
}

export interface MpirunCommand {
  command: string;
  args: string[];
  env: Env;
}

/**
 * Open MPI's tuned all-reduce picks its algorithm by message size and rank count; the ring
 * (algorithm 4) is fixed, so every rank gets the same reduced bytes, run after run.
 */
const OPENMPI_RING: Array<[string, string]> = [
  ['OMPI_MCA_coll_tuned_use_dynamic_rules', '1'],
  ['OMPI_MCA_coll_tuned_allreduce_algorithm', '4'],
];

/** `argv` without `--workers N` / `--workers=N`, and whether it already sets the threads. */
export function withoutWorkers(argv: string[]): { argv: string[]; threadsGiven: boolean } {
  const out: string[] = [];
  let threadsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--workers') {
      i++;
      continue;
    }
    if (a.startsWith('--workers=')) continue;
    if (a === '--threads' || a.startsWith('--threads=')) threadsGiven = true;
    out.push(a);
  }
  return { argv: out, threadsGiven };
}

/** The mpirun command line that runs this command as `workers` ranks on this machine. */
export function mpirunCommand(opts: MpirunOptions): MpirunCommand {
  const { workers, cores } = opts;
  if (!Number.isInteger(workers) || workers < 1) throw new OptionError(`{workers} must be a whole number of processes, at least 1; got ${workers}`);
  const kind = opts.kind ?? 'openmpi';
  const { argv, threadsGiven } = withoutWorkers(opts.argv);
  // Each rank runs its own onnxruntime: share the cores out instead of every rank taking all.
  const threads = Math.max(1, Math.floor(cores / workers));
  const inner = [...(opts.execArgv ?? []), opts.script, ...argv];
  if (!threadsGiven) {
    // Before any `--` so the command still parses it as its own flag.
    const dashes = inner.indexOf('--');
    inner.splice(dashes < 0 ? inner.length : dashes, 0, '--threads', String(threads));
  }
  const args: string[] = [];
  if (kind === 'openmpi') {
    args.push('-np', String(workers), '--bind-to', 'none');
    if (workers > cores) args.push('--oversubscribe');
    if (opts.isRoot) args.push('--allow-run-as-root');
    for (const [name, value] of OPENMPI_RING) {
      // The user's own setting wins: `-x NAME` exports it as it is.
      args.push('-x', opts.env[name] !== undefined ? name : `${name}=${value}`);
    }
  } else {
    // Hydra oversubscribes and runs as root without being asked, and binds nothing by default.
    args.push('-n', String(workers));
  }
  args.push(opts.node, ...inner);
  return { command: opts.mpirun ?? 'mpirun', args, env: { ...opts.env } };
}

/** The path of `name` on PATH, or undefined. */
export function findOnPath(name: string, env: Env = process.env): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Open MPI's mpirun or Hydra, from the first lines of `mpirun --version`. */
export function mpirunKindOf(versionText: string): MpirunKind | undefined {
  if (/Open MPI|OpenRTE|PRRTE/i.test(versionText)) return 'openmpi';
  if (/HYDRA|MPICH|Intel\(R\) MPI/i.test(versionText)) return 'hydra';
  return undefined;
}

/**
 * Runs the command under mpirun with inherited stdio; resolves with mpirun's exit code (128 +
 * the signal number when a signal ended it). Ctrl-C reaches mpirun through the terminal's process
 * group, and mpirun passes it to the ranks.
 */
export async function runUnderMpirun(opts: Omit<MpirunOptions, 'kind'>): Promise<number> {
  const name = opts.mpirun ?? 'mpirun';
  const path = findOnPath(name, opts.env);
  if (path === undefined) {
    throw new UserError(`${name} is not on PATH: install Open MPI (apt-get install openmpi-bin) or MPICH, or start the ranks with your own launcher`);
  }
  let versionText = '';
  try {
    versionText = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: opts.env as NodeJS.ProcessEnv, timeout: 20_000 });
  } catch (e) {
    versionText = String((e as { stdout?: string }).stdout ?? '');
  }
  const { command, args, env } = mpirunCommand({ ...opts, mpirun: path, kind: mpirunKindOf(versionText) ?? 'openmpi' });
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env: env as NodeJS.ProcessEnv });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
    });
  });
}
