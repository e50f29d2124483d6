// Turns file-system error codes into words a pipeline author can act on.

const REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

export function fsCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** `does not exist`, `permission denied`, ... or the error's own message. */
export function fsReason(err: unknown): string {
  const code = fsCode(err);
  return (code && REASONS[code]) ?? (err instanceof Error ? err.message : String(err));
}
