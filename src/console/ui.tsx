// Small pieces every page uses: status badges (colour plus the word, never colour alone), error
// notes with the API's own message, times and numbers.
import { messageOf } from './api.js';

export function Status({ value }: { value: string }) {
  return <span className={`status status-${value.replace(/[^a-z]/g, '')}`}>{value}</span>;
}

export function ErrorNote({ error, what }: { error: unknown; what: string }) {
  if (error === undefined || error === null) return null;
  return (
    <p className="error" role="alert">
      Could not {what}: {messageOf(error)}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" aria-live="polite">Loading {what}…</p>;
}

const numbers = new Intl.NumberFormat('en-US');
export const fmtNumber = (n: number) => numbers.format(Math.round(n));

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

export function fmtDuration(fromIso: string | null | undefined, toIso: string | null | undefined, now = Date.now()): string {
  if (!fromIso) return '—';
  const ms = (toIso ? Date.parse(toIso) : now) - Date.parse(fromIso);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return m < 60 ? `${m} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
