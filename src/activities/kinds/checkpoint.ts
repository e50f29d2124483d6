// Reads a node's checkpoint back with defaults: a missing or older checkpoint starts from zero.
export function restore<T extends object>(defaults: T, saved: unknown): T {
  return { ...defaults, ...(saved && typeof saved === 'object' ? (saved as Partial<T>) : {}) };
}
