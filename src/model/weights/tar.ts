/**
 * Safe extraction of release tarballs (albert_base.tar.gz and the like) with the `tar` package.
 *
 * node-tar already strips absolute paths and skips ".." entries, but it does so with warnings
 * and carries on, and it extracts symbolic links wherever they point. A downloaded archive is
 * untrusted input, so every entry is checked here first, in a listing pass, and the archive is
 * refused whole (nothing written) when one entry is bad; the extraction pass checks again, in
 * case the file changed in between, and keeps node-tar's own defences switched on.
 *
 * The rules, stricter than needed for release archives (which hold only files and directories):
 * - no absolute paths and no ".." path segments;
 * - only files, directories, symbolic links and hard links (no devices, FIFOs, ...);
 * - a symbolic link target is relative and has no ".." segment: each link then points at or
 *   below its own directory, so no chain of links can lead outside (a "." link followed by a
 *   "that/.." link would, if ".." were allowed anywhere);
 * - a hard link names a file entry earlier in the same archive;
 * - no entry is written through, or over, a symbolic link of the archive.
 */
import { existsSync, statSync } from 'node:fs';
import { posix, resolve, sep, win32 } from 'node:path';
import * as tar from 'tar';
import { UserError } from '../../ir/errors.ts';
import { makeDir } from '../../util/make-dir.ts';

type TarEntry = Pick<tar.ReadEntry, 'path' | 'type' | 'linkpath'>;

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

function segments(p: string): string[] {
  return p.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

function isAbsoluteAnywhere(p: string): boolean {
  return posix.isAbsolute(p) || win32.isAbsolute(p) || /^[a-zA-Z]:/.test(p);
}

/** Checks entries in archive order; `check` returns why an entry is refused, or null. */
class EntryChecker {
  private readonly files = new Set<string>();
  private readonly symlinks = new Set<string>();

  constructor(private readonly destDir: string) {}

  check(e: TarEntry): string | null {
    const p = e.path;
    if (p.includes('\0')) return 'path contains a NUL byte';
    if (isAbsoluteAnywhere(p)) return 'absolute path';
    const parts = segments(p);
    if (parts.includes('..')) return 'path has a ".." segment and would escape the target directory';
    const rel = parts.join('/');
    const target = resolve(this.destDir, rel);
    if (target !== this.destDir && !target.startsWith(this.destDir + sep)) return 'path escapes the target directory';
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (this.symlinks.has(dir)) return `path passes through the symbolic link "${dir}" of the archive`;
    }
    if (this.symlinks.has(rel)) return `path replaces the symbolic link "${rel}" of the archive`;
    if (e.type === 'Directory') return null;
    if (rel === '') return `${e.type} entry names the target directory itself`;
    if (FILE_TYPES.has(e.type)) {
      this.files.add(rel);
      return null;
    }
    if (e.type === 'SymbolicLink' || e.type === 'Link') {
      const link = e.linkpath ?? '';
      const kind = e.type === 'SymbolicLink' ? 'symbolic link' : 'hard link';
      if (link === '' || link.includes('\0')) return `${kind} without a valid target`;
      if (isAbsoluteAnywhere(link)) return `${kind} to the absolute path "${link}" points outside the target directory`;
      if (segments(link).includes('..')) return `${kind} target "${link}" has a ".." segment (links may only point down the tree)`;
      if (e.type === 'Link') {
        // Hard link targets are relative to the extraction root.
        if (!this.files.has(segments(link).join('/'))) return `hard link to "${link}", which is not a file earlier in the archive`;
        this.files.add(rel);
      } else {
        this.symlinks.add(rel);
      }
      return null;
    }
    return `unsupported entry type ${e.type}`;
  }
}

function refuse(archive: string, e: TarEntry, why: string): UserError {
  return new UserError(`${archive}: entry ${JSON.stringify(e.path)}: ${why}; refusing to extract the archive`);
}

function tarFailure(archive: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  return new UserError(`${archive}: not a readable .tar.gz archive (${(e as Error).message})`);
}

/**
 * Extracts a .tar.gz (or plain .tar) into `destDir` (created if needed) after checking every
 * entry; returns the absolute paths of the extracted files (regular files and hard links), in
 * archive order. A bad entry refuses the whole archive with a UserError naming it, before anything
 * is written.
 */
export async function extractTarGz(archive: string, destDir: string): Promise<string[]> {
  if (!existsSync(archive) || !statSync(archive).isFile()) throw new UserError(`${archive}: archive not found`);
  const dest = resolve(destDir);

  let refused: UserError | null = null;
  const listing = new EntryChecker(dest);
  try {
    await tar.t({
      file: archive,
      strict: true,
      onReadEntry: (entry) => {
        const why = refused ? null : listing.check(entry);
        if (why) refused = refuse(archive, entry, why);
      },
    });
  } catch (e) {
    throw tarFailure(archive, e);
  }
  if (refused) throw refused;

  makeDir(destDir, 'the extraction directory');
  const extracting = new EntryChecker(dest);
  const files: string[] = [];
  try {
    await tar.x({
      file: archive,
      cwd: dest,
      strict: true,
      // Never keep archive owners or absolute/".." paths, whatever the defaults become.
      preservePaths: false,
      preserveOwner: false,
      filter: (_path, entry) => {
        if (!('type' in entry)) return false; // a Stats (only when packing)
        const why = refused ? 'an earlier entry was refused' : extracting.check(entry);
        if (why) {
          refused ??= refuse(archive, entry, why);
          return false;
        }
        if (FILE_TYPES.has(entry.type) || entry.type === 'Link') files.push(resolve(dest, segments(entry.path).join('/')));
        return true;
      },
    });
  } catch (e) {
    throw tarFailure(archive, e);
  }
  if (refused) throw refused;
  return files;
}
