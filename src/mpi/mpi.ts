/**
 * A small MPI binding for data-parallel training: one Node process per rank, the collectives done
 * by the MPI library (Open MPI or an MPICH-family library) called through the koffi FFI. koffi is
 * an optional dependency and is only required here, when `loadMpi()` is called, so that a plain
 * single-process run never loads it (ask `launchedByMpi()` in ./env.ts first).
 *
 * The two ABIs differ only in their handles:
 * - Open MPI: MPI_Comm, MPI_Datatype, MPI_Op and MPI_Info are pointers, and the predefined ones
 *   are the addresses of exported globals (MPI_COMM_WORLD is &ompi_mpi_comm_world, ...);
 *   MPI_IN_PLACE is (void *)1; MPI_COMM_TYPE_SHARED is 0.
 * - MPICH (and Intel MPI, MVAPICH, Cray MPICH, which keep its ABI): the handles are ints with
 *   fixed values from mpi.h; MPI_IN_PLACE is (void *)-1; MPI_COMM_TYPE_SHARED is 1.
 * The flavour is read from MPI_Get_library_version, which may be called before MPI_Init.
 */
import { createRequire } from 'node:module';
import { UserError } from '../util/errors.ts';
import { launcherLocal, launcherWorldSize } from './env.ts';

type Env = Record<string, string | undefined>;

export type MpiFlavour = 'openmpi' | 'mpich';

/** A buffer that can be summed across ranks in place. */
export type ReducibleArray = Float32Array | Float64Array | Int32Array;

export interface Mpi {
  /** 'openmpi' or 'mpich' (the ABI family), from the library's version string. */
  readonly flavour: MpiFlavour;
  /** MPI_Get_library_version's text, e.g. "Open MPI v4.1.4, package: Debian OpenMPI, ...". */
  readonly libraryVersion: string;
  /** The file or soname that was loaded. */
  readonly libraryPath: string;
  /**
   * Joins the MPI job (MPI_Init_thread), then reads rank, size and the node-local rank. Call it
   * once, before anything below; calling it again does nothing.
   */
  init(): void;
  readonly rank: number;
  readonly size: number;
  /** Rank among the processes of this node (to share cores or pick a GPU) and their number. */
  readonly localRank: number;
  readonly localSize: number;
  /** The thread level MPI granted (0 single, 1 funneled, 2 serialized, 3 multiple). */
  readonly threadLevel: number;
  /** Whether allreduceSumAsync runs off the event loop (it needs MPI_THREAD_SERIALIZED). */
  readonly asyncOffThread: boolean;
  /** Sums `buf` over all ranks, in place; every rank gets the same bytes back. Blocks. */
  allreduceSum(buf: ReducibleArray): void;
  /**
   * The same sum on a koffi worker thread, so the event loop keeps running. Calls are queued in
   * the order they are made (a collective must be entered in the same order on every rank); no
   * other call of this binding may be made until the promise settles, and `buf` must not be
   * touched meanwhile.
   */
  allreduceSumAsync(buf: ReducibleArray): Promise<void>;
  /** Copies `buf` from rank `root` to every rank (any typed array; sent as bytes). */
  bcast(buf: ArrayBufferView, root: number): void;
  /** Every rank's `bytes`, indexed by rank; contributions may differ in length. */
  allgather(bytes: Uint8Array): Uint8Array[];
  barrier(): void;
  /** Leaves the MPI job. Called automatically at a clean exit (code 0) if not called before. */
  finalize(): void;
  /** Ends every rank of the job (MPI_Abort): for a rank that fails while the others wait. */
  abort(code: number): never;
}

// ---- handle conventions ------------------------------------------------------------------------

export type MpiHandle = bigint | number;

export interface MpiHandles {
  /** How a handle is passed: a pointer (Open MPI) or an int (MPICH). */
  readonly handleType: 'void *' | 'int';
  readonly commWorld: MpiHandle;
  readonly float: MpiHandle;
  readonly double: MpiHandle;
  readonly int: MpiHandle;
  readonly byte: MpiHandle;
  readonly sum: MpiHandle;
  readonly infoNull: MpiHandle;
  /** MPI_IN_PLACE, a pointer constant. */
  readonly inPlace: bigint;
  readonly commTypeShared: number;
}

/** Thread levels, the same numbers in Open MPI's and MPICH's mpi.h. */
export const MPI_THREAD_SERIALIZED = 2;
export const MPI_THREAD_MULTIPLE = 3;

/** The ABI family from MPI_Get_library_version's text; undefined when it names neither. */
export function flavourOf(version: string): MpiFlavour | undefined {
  // IBM Spectrum MPI is built on Open MPI and says so in its version text.
  if (/Open MPI|OpenMPI|Spectrum MPI/i.test(version)) return 'openmpi';
  // Intel MPI, MVAPICH and Cray MPICH are MPICH derivatives with MPICH's ABI.
  if (/MPICH|MVAPICH|Intel\(R\) MPI/i.test(version)) return 'mpich';
  return undefined;
}

/** MPICH's predefined handles (mpi.h: src/include/mpi.h.in and the generated datatype values). */
const MPICH_HANDLES: MpiHandles = {
  handleType: 'int',
  commWorld: 0x44000000,
  float: 0x4c00040a,
  double: 0x4c00080b,
  int: 0x4c000405,
  byte: 0x4c00010d,
  sum: 0x58000003,
  infoNull: 0x1c000000,
  // (void *)-1 as an unsigned 64-bit address.
  inPlace: 0xffff_ffff_ffff_ffffn,
  commTypeShared: 1,
};

/**
 * The handles of one flavour. For Open MPI they are the addresses of the library's globals,
 * looked up with `symbol` (a name to its address).
 */
export function mpiHandles(flavour: MpiFlavour, symbol: (name: string) => bigint): MpiHandles {
  if (flavour === 'mpich') return MPICH_HANDLES;
  return {
    handleType: 'void *',
    commWorld: symbol('ompi_mpi_comm_world'),
    float: symbol('ompi_mpi_float'),
    double: symbol('ompi_mpi_double'),
    int: symbol('ompi_mpi_int'),
    byte: symbol('ompi_mpi_byte'),
    sum: symbol('ompi_mpi_op_sum'),
    infoNull: symbol('ompi_mpi_info_null'),
    inPlace: 1n,
    commTypeShared: 0,
  };
}

// ---- koffi, the part of it used here -----------------------------------------------------------

interface KoffiFunction {
  (...args: unknown[]): unknown;
  async(...args: unknown[]): void;
}
interface KoffiLibrary {
  func(name: string, result: string, args: string[]): KoffiFunction;
  symbol(name: string): unknown;
}
export interface KoffiLike {
  load(path: string, options?: { global?: boolean }): KoffiLibrary;
  address(value: unknown): bigint;
}

/** koffi, or a one-line UserError saying how to install it (`load` is replaceable for tests). */
export function requireKoffi(load: () => unknown = () => createRequire(import.meta.url)('koffi')): KoffiLike {
  try {
    return load() as KoffiLike;
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw new UserError(`running distributed needs the optional dependency koffi, which cannot be loaded (${why}): install it with npm install koffi`);
  }
}

/** Sonames tried in order when ALBERT_MPI_LIBRARY does not name the library. */
export function mpiLibraryCandidates(platform: NodeJS.Platform = process.platform): string[] {
  // Debian and most clusters ship no unversioned libmpi.so without the -dev package, so the
  // versioned names follow: Open MPI's ABI 40 (3.x to 5.x) and MPICH's ABI 12.
  if (platform === 'darwin') return ['libmpi.dylib', 'libmpi.40.dylib', 'libmpi.12.dylib'];
  return ['libmpi.so', 'libmpi.so.40', 'libmpi.so.12', 'libmpich.so.12'];
}

// ---- loading -----------------------------------------------------------------------------------

export interface LoadMpiOptions {
  /** Where ALBERT_MPI_LIBRARY and the launcher's variables are read (default process.env). */
  env?: Env;
  /** Library names to try instead of mpiLibraryCandidates() (ALBERT_MPI_LIBRARY still wins). */
  candidates?: string[];
  /**
   * Largest piece, in bytes, that one MPI call moves. MPI counts are C ints, and some collective
   * algorithms also keep the byte count in an int, so big buffers go in pieces below 2^31 bytes;
   * tests set it small to exercise the splitting.
   */
  maxChunkBytes?: number;
  /** Where koffi comes from (default: requireKoffi()). */
  koffi?: () => KoffiLike;
}

const DEFAULT_MAX_CHUNK_BYTES = 2 ** 30;

/** Loads the MPI library and binds the calls; `init()` it before use. */
export function loadMpi(options: LoadMpiOptions = {}): Mpi {
  const env = options.env ?? process.env;
  const koffi = options.koffi ? options.koffi() : requireKoffi();
  const explicit = env.ALBERT_MPI_LIBRARY;
  const names = explicit ? [explicit] : (options.candidates ?? mpiLibraryCandidates());
  const failures: Array<{ name: string; why: string }> = [];
  for (const name of names) {
    let lib: KoffiLibrary;
    try {
      // RTLD_GLOBAL: Open MPI dlopens its components (mca_*.so), which resolve symbols of
      // libmpi and libopen-pal from the global namespace.
      lib = koffi.load(name, { global: true });
    } catch (e) {
      failures.push({ name, why: (e as Error).message.split('\n')[0] });
      continue;
    }
    return new MpiBinding(koffi, lib, name, env, options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES);
  }
  if (explicit) {
    throw new UserError(`ALBERT_MPI_LIBRARY=${explicit} cannot be loaded (${failures[0].why}): point it at an MPI library (libmpi.so.40 for Open MPI, libmpi.so.12 for MPICH) or unset it`);
  }
  throw new UserError(
    `no MPI library found (tried ${names.join(', ')}): install Open MPI (apt-get install openmpi-bin) or MPICH, or set ALBERT_MPI_LIBRARY to the path of libmpi.so`,
  );
}

function symbolAddress(koffi: KoffiLike, lib: KoffiLibrary, name: string): bigint {
  const s = lib.symbol(name);
  return typeof s === 'bigint' ? s : koffi.address(s);
}

function hasSymbol(koffi: KoffiLike, lib: KoffiLibrary, name: string): boolean {
  try {
    return symbolAddress(koffi, lib, name) !== 0n;
  } catch {
    return false;
  }
}

function cString(bytes: Uint8Array, length: number): string {
  const end = bytes.subarray(0, Math.max(0, Math.min(length, bytes.length))).indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? Math.min(length, bytes.length) : end)).trim();
}

interface MpiCalls {
  Init_thread: KoffiFunction;
  Initialized: KoffiFunction;
  Finalized: KoffiFunction;
  Query_thread: KoffiFunction;
  Comm_rank: KoffiFunction;
  Comm_size: KoffiFunction;
  Comm_split_type: KoffiFunction;
  Comm_free: KoffiFunction;
  Allreduce: KoffiFunction;
  Bcast: KoffiFunction;
  Allgather: KoffiFunction;
  Barrier: KoffiFunction;
  Finalize: KoffiFunction;
  Abort: KoffiFunction;
  Error_string: KoffiFunction;
}

class MpiBinding implements Mpi {
  readonly flavour: MpiFlavour;
  readonly libraryVersion: string;
  private readonly handles: MpiHandles;
  private readonly calls: MpiCalls;
  private initialised = false;
  private finalized = false;
  /** Async calls made and not yet settled; sync calls refuse to run while there are any. */
  private pending = 0;
  private queue: Promise<void> = Promise.resolve();
  rank = 0;
  size = 1;
  localRank = 0;
  localSize = 1;
  threadLevel = 0;

  constructor(
    koffi: KoffiLike,
    lib: KoffiLibrary,
    readonly libraryPath: string,
    private readonly env: Env,
    private readonly maxChunkBytes: number,
  ) {
    let getVersion: KoffiFunction;
    try {
      getVersion = lib.func('MPI_Get_library_version', 'int', ['void *', 'void *']);
    } catch {
      throw new UserError(`${libraryPath} is not an MPI 3 library (it has no MPI_Get_library_version): point ALBERT_MPI_LIBRARY at Open MPI's or MPICH's libmpi`);
    }
    // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI and 8192 in MPICH.
    const text = new Uint8Array(8192);
    const length = new Int32Array(1);
    getVersion(text, length);
    this.libraryVersion = cString(text, length[0]);
    const flavour = flavourOf(this.libraryVersion) ?? (hasSymbol(koffi, lib, 'ompi_mpi_comm_world') ? 'openmpi' : undefined);
    if (flavour === undefined) {
      throw new UserError(`${libraryPath}: unsupported MPI library "${this.libraryVersion.split('\n')[0]}": Open MPI and MPICH-family libraries (MPICH, Intel MPI, MVAPICH) are supported`);
    }
    this.flavour = flavour;
    this.handles = mpiHandles(flavour, (name) => symbolAddress(koffi, lib, name));
    const H = this.handles.handleType;
    const f = (name: string, args: string[]): KoffiFunction => lib.func(`MPI_${name}`, 'int', args);
    this.calls = {
      Init_thread: f('Init_thread', ['void *', 'void *', 'int', 'void *']),
      Initialized: f('Initialized', ['void *']),
      Finalized: f('Finalized', ['void *']),
      Query_thread: f('Query_thread', ['void *']),
      Comm_rank: f('Comm_rank', [H, 'void *']),
      Comm_size: f('Comm_size', [H, 'void *']),
      Comm_split_type: f('Comm_split_type', [H, 'int', 'int', H, 'void *']),
      Comm_free: f('Comm_free', ['void *']),
      Allreduce: f('Allreduce', ['void *', 'void *', 'int', H, H, H]),
      Bcast: f('Bcast', ['void *', 'int', H, 'int', H]),
      Allgather: f('Allgather', ['void *', 'int', H, 'void *', 'int', H, H]),
      Barrier: f('Barrier', [H]),
      Finalize: f('Finalize', []),
      Abort: f('Abort', [H, 'int']),
      Error_string: f('Error_string', ['int', 'void *', 'void *']),
    };
  }

  get asyncOffThread(): boolean {
    return this.threadLevel >= MPI_THREAD_SERIALIZED;
  }

  init(): void {
    if (this.initialised) return;
    const flag = new Int32Array(1);
    this.check('MPI_Initialized', this.calls.Initialized(flag));
    const provided = new Int32Array(1);
    if (flag[0]) {
      // Someone else in this process (another binding) joined already.
      this.check('MPI_Query_thread', this.calls.Query_thread(provided));
    } else {
      // koffi's `.async` runs the call on one of its worker threads, not on the thread that
      // called MPI_Init_thread, so MPI_THREAD_FUNNELED is not enough. SERIALIZED is: this binding
      // never has two calls in flight (the async queue, and sync calls refuse while it is busy),
      // and koffi's hand-off between threads orders their memory. MULTIPLE would make Open MPI
      // and MPICH take locks on every call for concurrency we never use.
      this.check('MPI_Init_thread', this.calls.Init_thread(null, null, MPI_THREAD_SERIALIZED, provided));
    }
    this.threadLevel = provided[0];
    this.initialised = true;
    const out = new Int32Array(1);
    this.check('MPI_Comm_rank', this.calls.Comm_rank(this.handles.commWorld, out));
    this.rank = out[0];
    this.check('MPI_Comm_size', this.calls.Comm_size(this.handles.commWorld, out));
    this.size = out[0];
    const announced = launcherWorldSize(this.env);
    if (announced !== undefined && announced !== this.size) {
      throw new UserError(
        `the launcher started ${announced} processes but MPI sees a world of ${this.size}: the launcher does not match ${this.libraryPath} (${this.libraryVersion.split(/[,\n]/)[0]}); under srun, pick the PMIx or PMI-2 plugin that this MPI was built with`,
      );
    }
    const local = launcherLocal(this.env) ?? this.sharedMemoryLocal();
    this.localRank = local.localRank;
    this.localSize = local.localSize;
    // A rank that ends cleanly without MPI_Finalize makes mpirun report the job as failed.
    process.once('exit', (code) => {
      if (code === 0 && !this.finalized && this.pending === 0) this.finalize();
    });
  }

  /** Rank and size within this node, from a communicator split by shared memory. */
  private sharedMemoryLocal(): { localRank: number; localSize: number } {
    const comm = this.handles.handleType === 'int' ? new Int32Array(1) : new BigUint64Array(1);
    this.check('MPI_Comm_split_type', this.calls.Comm_split_type(this.handles.commWorld, this.handles.commTypeShared, this.rank, this.handles.infoNull, comm));
    const handle = comm[0];
    const out = new Int32Array(2);
    this.check('MPI_Comm_rank', this.calls.Comm_rank(handle, out.subarray(0, 1)));
    this.check('MPI_Comm_size', this.calls.Comm_size(handle, out.subarray(1, 2)));
    this.check('MPI_Comm_free', this.calls.Comm_free(comm));
    return { localRank: out[0], localSize: out[1] };
  }

  allreduceSum(buf: ReducibleArray): void {
    this.ready('allreduceSum');
    const type = this.datatypeOf(buf);
    for (const piece of this.pieces(buf)) {
      this.check('MPI_Allreduce', this.calls.Allreduce(this.handles.inPlace, piece, piece.length, type, this.handles.sum, this.handles.commWorld));
    }
  }

  allreduceSumAsync(buf: ReducibleArray): Promise<void> {
    if (!this.asyncOffThread) {
      // Without SERIALIZED a worker thread may not call MPI: run it here, blocking.
      try {
        this.allreduceSum(buf);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    this.ready('allreduceSumAsync', true);
    const type = this.datatypeOf(buf);
    this.pending++;
    const run = this.queue.then(async () => {
      try {
        for (const piece of this.pieces(buf)) {
          await this.callAsync('MPI_Allreduce', this.calls.Allreduce, this.handles.inPlace, piece, piece.length, type, this.handles.sum, this.handles.commWorld);
        }
      } finally {
        this.pending--;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  bcast(buf: ArrayBufferView, root: number): void {
    this.ready('bcast');
    this.checkRoot(root);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let off = 0; off < bytes.length; off += this.maxChunkBytes) {
      const piece = bytes.subarray(off, Math.min(bytes.length, off + this.maxChunkBytes));
      this.check('MPI_Bcast', this.calls.Bcast(piece, piece.length, this.handles.byte, root, this.handles.commWorld));
    }
  }

  allgather(bytes: Uint8Array): Uint8Array[] {
    this.ready('allgather');
    const n = this.size;
    // Lengths first (as doubles: exact up to 2^53), so contributions may differ; each is then
    // padded to the longest and gathered with the plain MPI_Allgather.
    const lengths = new Float64Array(n);
    this.check('MPI_Allgather', this.calls.Allgather(new Float64Array([bytes.length]), 1, this.handles.double, lengths, 1, this.handles.double, this.handles.commWorld));
    const longest = Math.max(...lengths);
    let mine = bytes;
    if (bytes.length < longest) {
      mine = new Uint8Array(longest);
      mine.set(bytes);
    }
    const step = Math.max(1, Math.floor(this.maxChunkBytes / n));
    const all = new Uint8Array(longest * n);
    if (longest <= step) {
      if (longest > 0) this.check('MPI_Allgather', this.calls.Allgather(mine, longest, this.handles.byte, all, longest, this.handles.byte, this.handles.commWorld));
    } else {
      const scratch = new Uint8Array(step * n);
      for (let off = 0; off < longest; off += step) {
        const count = Math.min(step, longest - off);
        this.check('MPI_Allgather', this.calls.Allgather(mine.subarray(off, off + count), count, this.handles.byte, scratch, count, this.handles.byte, this.handles.commWorld));
        for (let r = 0; r < n; r++) all.set(scratch.subarray(r * count, (r + 1) * count), r * longest + off);
      }
    }
    return Array.from(lengths, (len, r) => all.subarray(r * longest, r * longest + len));
  }

  barrier(): void {
    this.ready('barrier');
    this.check('MPI_Barrier', this.calls.Barrier(this.handles.commWorld));
  }

  finalize(): void {
    if (!this.initialised || this.finalized) return;
    if (this.pending > 0) throw new Error('MPI finalize called while an asynchronous all-reduce is still running: await it first');
    const flag = new Int32Array(1);
    this.check('MPI_Finalized', this.calls.Finalized(flag));
    this.finalized = true;
    if (!flag[0]) this.check('MPI_Finalize', this.calls.Finalize());
  }

  abort(code: number): never {
    this.calls.Abort(this.handles.commWorld, code);
    // MPI_Abort does not return; if a library's did, leave anyway.
    process.exit(code);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private ready(what: string, queued = false): void {
    if (!this.initialised) throw new Error(`MPI ${what} called before init()`);
    if (this.finalized) throw new Error(`MPI ${what} called after finalize()`);
    if (!queued && this.pending > 0) {
      // Two calls in flight would break MPI_THREAD_SERIALIZED, and the ranks would disagree on
      // the order of their collectives anyway.
      throw new Error(`MPI ${what} called while an asynchronous all-reduce is still running: await it first`);
    }
  }

  private checkRoot(root: number): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.size) throw new RangeError(`MPI root ${root} is not a rank of a world of ${this.size}`);
  }

  private datatypeOf(buf: ReducibleArray): MpiHandle {
    if (buf instanceof Float32Array) return this.handles.float;
    if (buf instanceof Float64Array) return this.handles.double;
    if (buf instanceof Int32Array) return this.handles.int;
    throw new TypeError('MPI all-reduce takes a Float32Array, Float64Array or Int32Array');
  }

  /** `buf` as consecutive views of at most maxChunkBytes each (at least one element). */
  private *pieces<T extends ReducibleArray>(buf: T): Generator<T> {
    const step = Math.max(1, Math.min(2 ** 31 - 1, Math.floor(this.maxChunkBytes / buf.BYTES_PER_ELEMENT)));
    for (let off = 0; off < buf.length; off += step) yield buf.subarray(off, Math.min(buf.length, off + step)) as T;
  }

  private callAsync(name: string, fn: KoffiFunction, ...args: unknown[]): Promise<void> {
    return new Promise((resolve, reject) => {
      fn.async(...args, (err: unknown, rc: unknown) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else {
          try {
            this.check(name, rc);
            resolve();
          } catch (e) {
            reject(e);
          }
        }
      });
    });
  }

  /**
   * MPI's default error handler aborts the job on any error, so a failing return is rare (an
   * error handler set by someone else); it is a bug here, not a user mistake.
   */
  private check(name: string, rc: unknown): void {
    if (rc === 0) return;
    const text = new Uint8Array(1024);
    const length = new Int32Array(1);
    let message = `error ${String(rc)}`;
    try {
      if (this.calls.Error_string(rc, text, length) === 0) message = cString(text, length[0]);
    } catch {
      // keep the number
    }
    throw new Error(`${name} failed: ${message}`);
  }
}
