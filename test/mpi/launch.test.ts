/**
 * `--workers N` re-running the command under mpirun: the command line built for each case, the
 * error without mpirun, and one real run of a small script under mpirun (skipped without it).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findOnPath, mpirunCommand, mpirunKindOf, runUnderMpirun, withoutWorkers, type MpirunOptions } from '../../src/mpi/launch.ts';
import { OptionError, UserError } from '../../src/util/errors.ts';

const base: MpirunOptions = {
  workers: 2,
  argv: ['pretrain', '--workers', '2', '--config', 'base', '--out', 'o'],
  node: '/usr/bin/node',
  script: '/app/bin/run.js',
  cores: 8,
  isRoot: false,
  env: { PATH: '/usr/bin' },
};

const RING = ['-x', 'OMPI_MCA_coll_tuned_use_dynamic_rules=1', '-x', 'OMPI_MCA_coll_tuned_allreduce_algorithm=4'];

describe('withoutWorkers', () => {
  it('drops --workers N and --workers=N, notices --threads, leaves everything after -- alone', () => {
    assert.deepEqual(withoutWorkers(['a', '--workers', '4', 'b']), { argv: ['a', 'b'], threadsGiven: false });
    assert.deepEqual(withoutWorkers(['--workers=4', '--threads=3']), { argv: ['--threads=3'], threadsGiven: true });
    assert.deepEqual(withoutWorkers(['--threads', '1', '--', '--workers', '9']), { argv: ['--threads', '1', '--', '--workers', '9'], threadsGiven: true });
  });
});

describe('mpirunCommand (Open MPI)', () => {
  it('runs N ranks unbound with the fixed ring all-reduce, cores shared out as --threads', () => {
    const c = mpirunCommand(base);
    assert.equal(c.command, 'mpirun');
    assert.deepEqual(c.args, ['-np', '2', '--bind-to', 'none', ...RING, '/usr/bin/node', '/app/bin/run.js', 'pretrain', '--config', 'base', '--out', 'o', '--threads', '4']);
    assert.deepEqual(c.env, base.env);
    assert.notEqual(c.env, base.env, 'a copy, not the caller’s object');
  });

  it('oversubscribes only when ranks outnumber cores, and gives each rank at least one thread', () => {
    assert.ok(!mpirunCommand({ ...base, workers: 2, cores: 2 }).args.includes('--oversubscribe'));
    const c = mpirunCommand({ ...base, workers: 3, cores: 2 });
    assert.deepEqual(c.args.slice(0, 5), ['-np', '3', '--bind-to', 'none', '--oversubscribe']);
    assert.deepEqual(c.args.slice(-2), ['--threads', '1']);
    assert.deepEqual(mpirunCommand({ ...base, workers: 3, cores: 8 }).args.slice(-2), ['--threads', '2'], 'floor(8 / 3)');
  });

  it('allows root only when running as root', () => {
    assert.ok(!mpirunCommand(base).args.includes('--allow-run-as-root'));
    assert.deepEqual(mpirunCommand({ ...base, isRoot: true }).args.slice(0, 5), ['-np', '2', '--bind-to', 'none', '--allow-run-as-root']);
  });

  it("keeps the user's --threads, Node's own options, a -- tail, and the user's own all-reduce choice", () => {
    const c = mpirunCommand({
      ...base,
      argv: ['pretrain', '--threads=1', '--workers=2', '--', 'x'],
      execArgv: ['--import', 'tsx'],
      env: { OMPI_MCA_coll_tuned_allreduce_algorithm: '2' },
    });
    assert.deepEqual(c.args, ['-np', '2', '--bind-to', 'none', '-x', 'OMPI_MCA_coll_tuned_use_dynamic_rules=1', '-x', 'OMPI_MCA_coll_tuned_allreduce_algorithm', '/usr/bin/node', '--import', 'tsx', '/app/bin/run.js', 'pretrain', '--threads=1', '--', 'x']);
    const d = mpirunCommand({ ...base, argv: ['pretrain', '--workers', '2', '--', 'x'] });
    assert.deepEqual(d.args.slice(-5), ['pretrain', '--threads', '4', '--', 'x'], '--threads goes before --');
  });

  it('refuses a worker count that is not a whole number of at least 1, naming the option', () => {
    for (const workers of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => mpirunCommand({ ...base, workers }), (e: Error) => e instanceof OptionError && e.options[0] === 'workers' && !e.message.includes('--'));
    }
  });
});

describe('mpirunCommand (Hydra: MPICH, Intel MPI)', () => {
  it('uses -n and none of the Open MPI options', () => {
    const c = mpirunCommand({ ...base, kind: 'hydra', workers: 4, cores: 2, isRoot: true, mpirun: '/opt/mpich/bin/mpirun' });
    assert.equal(c.command, '/opt/mpich/bin/mpirun');
    assert.deepEqual(c.args, ['-n', '4', '/usr/bin/node', '/app/bin/run.js', 'pretrain', '--config', 'base', '--out', 'o', '--threads', '1']);
  });

  it('tells the kinds apart by `mpirun --version`', () => {
    assert.equal(mpirunKindOf('mpirun (Open MPI) 4.1.4\n\nReport bugs to http://www.open-mpi.org/community/help/\n'), 'openmpi');
    assert.equal(mpirunKindOf('prterun (Open MPI) 5.0.3\n'), 'openmpi');
    assert.equal(mpirunKindOf('HYDRA build details:\n    Version:                                 4.0.2\n'), 'hydra');
    assert.equal(mpirunKindOf('Intel(R) MPI Library for Linux* OS, Version 2021.6 Build 20220227'), 'hydra');
    assert.equal(mpirunKindOf('something else'), undefined);
  });
});

describe('runUnderMpirun', () => {
  it('says in one line that mpirun is missing, and how to get it', async () => {
    await assert.rejects(
      runUnderMpirun({ ...base, env: { PATH: '/nonexistent-albert-dir' } }),
      (e: Error) =>
        e instanceof UserError &&
        e.message === 'mpirun is not on PATH: install Open MPI (apt-get install openmpi-bin) or MPICH, or start the ranks with your own launcher',
    );
  });

  const dir = mkdtempSync(join(tmpdir(), 'albert-launch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the script as N ranks with the flags rewritten, and returns its exit code', { timeout: 30_000 }, async (t) => {
    if (findOnPath('mpirun') === undefined) {
      t.skip('mpirun is not on PATH (apt-get install openmpi-bin to run this test)');
      return;
    }
    // Each rank writes what it was given; rank 1 then exits with 3.
    const script = join(dir, 'rank.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
const rank = process.env.OMPI_COMM_WORLD_RANK ?? process.env.PMI_RANK;
writeFileSync(${JSON.stringify(dir)} + '/rank-' + rank + '.json', JSON.stringify({ argv: process.argv.slice(2), algorithm: process.env.OMPI_MCA_coll_tuned_allreduce_algorithm }));
process.exitCode = rank === '1' ? 3 : 0;
`,
    );
    const code = await runUnderMpirun({
      workers: 2,
      argv: ['pretrain', '--workers', '2', '--steps', '1'],
      node: process.execPath,
      script,
      cores: 2,
      isRoot: process.getuid?.() === 0,
      env: process.env,
    });
    assert.equal(code, 3);
    const files = readdirSync(dir).filter((f) => f.startsWith('rank-')).sort();
    assert.deepEqual(files, ['rank-0.json', 'rank-1.json']);
    for (const f of files) {
      assert.deepEqual(JSON.parse(readFileSync(join(dir, f), 'utf8')), { argv: ['pretrain', '--steps', '1', '--threads', '1'], algorithm: '4' });
    }
  });
});
