// "Did you mean" for unknown names. Bounded whatever the input: only names up to MAX_SUGGEST_LENGTH
// characters, among at most MAX_SUGGEST_CANDIDATES candidates, with an edit distance on three rolling
// rows that stops as soon as a row exceeds the distance still worth finding; and a validation allows
// MAX_SUGGESTIONS look-ups in all, so a spec of 10,000 near-miss names costs what 50 do.
import { MAX_SUGGEST_CANDIDATES, MAX_SUGGEST_LENGTH, MAX_SUGGESTIONS } from './limits.js';

/** How many look-ups are left to the validation under way. */
export interface SuggestionBudget {
  left: number;
}

export function suggestionBudget(lookups = MAX_SUGGESTIONS): SuggestionBudget {
  return { left: lookups };
}

let active: SuggestionBudget | null = null;

/** Runs `fn` with every look-up it makes counted against `budget` (calls outside any budget are not limited). */
export function withSuggestionBudget<T>(budget: SuggestionBudget, fn: () => T): T {
  const previous = active;
  active = budget;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** The candidate closest to `word` by edit distance, if close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length === 0 || word.length > MAX_SUGGEST_LENGTH) return undefined;
  if (active !== null) {
    if (active.left <= 0) return undefined;
    active.left -= 1;
  }
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let seen = 0;
  for (const candidate of candidates) {
    if (++seen > MAX_SUGGEST_CANDIDATES) break;
    if (candidate.length > MAX_SUGGEST_LENGTH) continue;
    // About one edit in three characters still reads as the same word (need/needs, maxAttempts/maximumAttempts).
    const limit = Math.min(Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3)), bestDistance - 1);
    if (Math.abs(word.length - candidate.length) > limit) continue;
    const d = distance(w, candidate.toLowerCase(), limit);
    if (d <= limit) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` when a close candidate exists, else ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

const rows = [new Int32Array(MAX_SUGGEST_LENGTH + 1), new Int32Array(MAX_SUGGEST_LENGTH + 1), new Int32Array(MAX_SUGGEST_LENGTH + 1)];

/**
 * Optimal string alignment (Levenshtein plus adjacent transpositions, the commonest typo: frist/first)
 * of strings up to MAX_SUGGEST_LENGTH long; any value above `limit` means "further than limit".
 */
function distance(a: string, b: string, limit: number): number {
  let [before, previous, current] = rows as [Int32Array, Int32Array, Int32Array];
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  let previousMin = 0;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        d = Math.min(d, (before[j - 2] as number) + 1);
      }
      current[j] = d;
      if (d < rowMin) rowMin = d;
    }
    // A later cell comes from this row, or by a transposition from the one before plus 1: when both are
    // past the limit, nothing within it can follow.
    if (rowMin > limit && previousMin + 1 > limit) return limit + 1;
    previousMin = rowMin;
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length] as number;
}
