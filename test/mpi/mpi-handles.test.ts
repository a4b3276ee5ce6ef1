/**
 * The MPI binding without a running job: which ABI a version string selects, the handles each ABI
 * gets, the library list, and the one-line errors when koffi or the library cannot be loaded.
 * Only Open MPI is installed here, so MPICH's side is checked with fake version strings and its
 * constants against the values in MPICH's mpi.h.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { flavourOf, loadMpi, mpiHandles, mpiLibraryCandidates, requireKoffi, type KoffiLike } from '../../src/mpi/mpi.ts';
import { UserError } from '../../src/util/errors.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function koffiOrWhy(): KoffiLike | string {
  try {
    return createRequire(import.meta.url)('koffi') as KoffiLike;
  } catch (e) {
    return `koffi (optional dependency) is not installed: ${(e as Error).message.split('\n')[0]}`;
  }
}

describe('flavourOf (MPI_Get_library_version text)', () => {
  it('reads Open MPI and its derivatives as openmpi', () => {
    assert.equal(flavourOf('Open MPI v4.1.4, package: Debian OpenMPI, ident: 4.1.4, repo rev: v4.1.4, May 26, 2022'), 'openmpi');
    assert.equal(flavourOf('Open MPI v5.0.3, package: Open MPI builder Distribution, ident: 5.0.3, repo rev: v5.0.3, Apr 08, 2024'), 'openmpi');
    assert.equal(flavourOf('IBM Spectrum MPI 10.04.00.03'), 'openmpi');
  });

  it('reads MPICH and the libraries with its ABI as mpich', () => {
    assert.equal(flavourOf('MPICH Version:\t4.0.2\nMPICH Release date:\tThu Apr  7 12:34:45 CDT 2022\nMPICH ABI:\t14:2:2\n'), 'mpich');
    assert.equal(flavourOf('Intel(R) MPI Library 2021.6 for Linux* OS\n'), 'mpich');
    assert.equal(flavourOf('MVAPICH2 Version      :\t2.3.7\nMVAPICH2 Release date :\tWed March 02 22:00:00 EST 2022'), 'mpich');
    assert.equal(flavourOf('MPI VERSION    : CRAY MPICH version 8.1.25.17 (ANL base 3.4a2)'), 'mpich');
  });

  it('names nothing for another library', () => {
    assert.equal(flavourOf('Microsoft MPI 10.1'), undefined);
    assert.equal(flavourOf(''), undefined);
  });
});

describe('mpiHandles', () => {
  it("gives Open MPI the addresses of its globals, pointer-typed, MPI_IN_PLACE = 1 and COMM_TYPE_SHARED = 0", () => {
    const asked: string[] = [];
    const fake = (name: string): bigint => {
      asked.push(name);
      return 0x7f00_0000_0000n + BigInt(asked.length) * 0x100n;
    };
    const h = mpiHandles('openmpi', fake);
    assert.equal(h.handleType, 'void *');
    assert.deepEqual(asked, ['ompi_mpi_comm_world', 'ompi_mpi_float', 'ompi_mpi_double', 'ompi_mpi_int', 'ompi_mpi_byte', 'ompi_mpi_op_sum', 'ompi_mpi_info_null']);
    assert.deepEqual(
      [h.commWorld, h.float, h.double, h.int, h.byte, h.sum, h.infoNull],
      asked.map((_, i) => 0x7f00_0000_0000n + BigInt(i + 1) * 0x100n),
    );
    assert.equal(h.inPlace, 1n);
    assert.equal(h.commTypeShared, 0);
  });

  it("gives MPICH the integer constants of its mpi.h, MPI_IN_PLACE = (void *)-1 and COMM_TYPE_SHARED = 1, without looking up symbols", () => {
    const h = mpiHandles('mpich', (name) => assert.fail(`looked up ${name}`));
    assert.equal(h.handleType, 'int');
    assert.equal(h.commWorld, 0x44000000);
    assert.equal(h.float, 0x4c00040a);
    assert.equal(h.double, 0x4c00080b);
    assert.equal(h.int, 0x4c000405);
    assert.equal(h.byte, 0x4c00010d);
    assert.equal(h.sum, 0x58000003);
    assert.equal(h.infoNull, 0x1c000000);
    assert.equal(h.inPlace, 2n ** 64n - 1n);
    assert.equal(h.commTypeShared, 1);
    // A handle passed as a C int must fit one.
    for (const v of [h.commWorld, h.float, h.double, h.int, h.byte, h.sum, h.infoNull]) assert.ok(Number(v) < 2 ** 31, `${v} fits an int`);
  });

  it("passes MPICH's MPI_IN_PLACE through a void * unchanged (koffi with libc's memset(p, 0, 0), which returns p untouched)", (t) => {
    const koffi = koffiOrWhy();
    if (typeof koffi === 'string') {
      t.skip(koffi);
      return;
    }
    const libc = koffi.load('libc.so.6');
    const memset = libc.func('memset', 'void *', ['void *', 'int', 'size_t']);
    const allOnes = mpiHandles('mpich', () => 0n).inPlace;
    assert.equal(memset(allOnes, 0, 0), allOnes);
    assert.equal(memset(1n, 0, 0), 1n);
  });
});

describe('finding the library', () => {
  it('tries the unversioned name, then Open MPI and MPICH sonames', () => {
    assert.deepEqual(mpiLibraryCandidates('linux'), ['libmpi.so', 'libmpi.so.40', 'libmpi.so.12', 'libmpich.so.12']);
    assert.deepEqual(mpiLibraryCandidates('darwin'), ['libmpi.dylib', 'libmpi.40.dylib', 'libmpi.12.dylib']);
  });

  it('says in one line what was tried and how to fix it when no library loads', (t) => {
    if (typeof koffiOrWhy() === 'string') {
      t.skip(String(koffiOrWhy()));
      return;
    }
    const e = (() => {
      try {
        loadMpi({ env: {}, candidates: ['libalbert-no-such-mpi.so.99', 'libalbert-no-such-mpi.so.98'] });
      } catch (err) {
        return err;
      }
      assert.fail('loaded a library that does not exist');
    })();
    assert.ok(e instanceof UserError);
    assert.equal(
      e.message,
      'no MPI library found (tried libalbert-no-such-mpi.so.99, libalbert-no-such-mpi.so.98): install Open MPI (apt-get install openmpi-bin) or MPICH, or set ALBERT_MPI_LIBRARY to the path of libmpi.so',
    );
  });

  it('says in one line that koffi is missing, and how to install it', () => {
    const missing = (): never => {
      throw new Error("Cannot find module 'koffi'\nRequire stack:\n- /x/src/mpi/mpi.ts");
    };
    assert.throws(
      () => requireKoffi(missing),
      (e: Error) => e instanceof UserError && e.message === "running distributed needs the optional dependency koffi, which cannot be loaded (Cannot find module 'koffi'): install it with npm install koffi",
    );
    assert.throws(() => loadMpi({ env: {}, koffi: () => requireKoffi(missing) }), /npm install koffi/);
  });

  it('names ALBERT_MPI_LIBRARY and its file in one line when that file cannot be loaded (child process)', (t) => {
    if (typeof koffiOrWhy() === 'string') {
      t.skip(String(koffiOrWhy()));
      return;
    }
    const code = "import { loadMpi } from './src/mpi/mpi.ts'; try { loadMpi(); } catch (e) { process.stdout.write(e.name + ': ' + e.message); process.exit(3); }";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ALBERT_MPI_LIBRARY: '/nonexistent/dir/libmpi.so.40' },
      timeout: 20_000,
    });
    assert.equal(r.status, 3, r.stderr);
    assert.doesNotMatch(r.stdout, /\n/);
    assert.match(
      r.stdout,
      /^UserError: ALBERT_MPI_LIBRARY=\/nonexistent\/dir\/libmpi\.so\.40 cannot be loaded \(.*No such file or directory\): point it at an MPI library \(libmpi\.so\.40 for Open MPI, libmpi\.so\.12 for MPICH\) or unset it$/,
    );
  });
});
