/**
 * A file-system error in words, for a one-line message: "permission denied", not
 * "EACCES: permission denied, open '/x/y.tmp-123'" (the path is named by the message around it).
 */
const WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  ENOTDIR: 'a parent is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EBUSY: 'device or resource busy',
  EXDEV: 'cross-device link',
  EINVAL: 'invalid argument',
};

/** The error's code, when it is a Node file-system error. */
export function fsCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function fsReason(e: unknown): string {
  const code = fsCode(e);
  if (code !== undefined && WORDS[code] !== undefined) return WORDS[code];
  const message = e instanceof Error ? e.message : String(e);
  // Node's "CODE: words, syscall 'path'" -> "words".
  return message.replace(/^[A-Z]+: /, '').replace(/, [a-z]+ '.*'( -> '.*')?$/, '');
}
