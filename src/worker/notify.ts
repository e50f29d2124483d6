// sluice.notify: the central activity that delivers one event of a run to one `notify` target.
// A webhook gets the notification as JSON, signed when the target names a secret: the
// `Sluice-Signature` header is `v1=<hex HMAC-SHA256 of "<Sluice-Timestamp>.<body>">`, so a receiver
// can check both who sent it and when (and refuse replays). A Slack target gets `{ text }`. Secret
// values (signing keys, URLs kept as secrets) are resolved here, from the worker's environment,
// and never appear in errors or logs; the worker's policy decides which hosts may be called.
import crypto from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { accessFor, type SitePolicy } from '../kit/access.js';
import { resolveSecrets } from '../activities/secrets.js';
import { scrub } from '../activities/errors.js';
import { isSecretRef } from '../dag/secret.js';
import type { Logger } from '../log.js';
import { NOTIFY_ACTIVITY, type Notification, type NotifyTask } from '../workflows/messages.js';

/** How long one delivery may take (the activity retries, backing off, for about an hour). */
export const NOTIFY_TIMEOUT_MS = 10_000;

/** The signature header of a body sent at `timestamp` (unix seconds) with `key`: what a receiver recomputes. */
export function signature(key: string, timestamp: number, body: string): string {
  return `v1=${crypto.createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The run's address in the API, when the worker knows where the API is (SLUICE_PUBLIC_URL). */
function linkOf(env: NodeJS.ProcessEnv, runId: string): string | null {
  const base = env.SLUICE_PUBLIC_URL;
  return base ? `${base.replace(/\/+$/, '')}/api/v1/runs/${encodeURIComponent(runId)}` : null;
}

/** One line for Slack: what happened, to which run, and why. */
export function slackText(n: Notification, link: string | null): string {
  const what = {
    succeeded: 'succeeded',
    failed: 'failed',
    paused: 'was paused',
    cancelled: 'was cancelled',
    slaMissed: `is still ${n.status} past its SLA of ${Math.round((n.slaMs ?? 0) / 1000)}s`,
  }[n.event];
  const run = link ? `<${link}|${n.runId}>` : n.runId;
  const why = n.failedNodes.length > 0 ? `: ${n.failedNodes.map((f) => `${f.id} (${f.error ?? 'unknown error'})`).join(', ')}` : n.error ? `: ${n.error}` : '';
  return `Sluice: pipeline ${n.pipeline} run ${run} ${what}${why}`;
}

export function notifyActivities(env: NodeJS.ProcessEnv, policy: SitePolicy, logger: Logger): Record<string, (task: NotifyTask) => Promise<{ status: number }>> {
  const access = accessFor(policy);
  return {
    [NOTIFY_ACTIVITY]: async (task) => {
      const kind = task.target.webhook ? 'webhook' : 'slack';
      const where = `notify[${task.index}].${kind}`;
      const target = task.target.webhook ?? task.target.slack!;
      const shownUrl = isSecretRef(target.url) ? `{ $secret: ${target.url.$secret} }` : target.url;
      const resolved = resolveSecrets(target, env, 'the central worker', policy);
      const { url, secret } = resolved.value as { url: string; secret?: string };
      const hide = (text: string): string => scrub(text, resolved.secrets);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw ApplicationFailure.nonRetryable(`${where}.url: ${shownUrl} is not a URL`, 'NotifyRejected');
      }
      await access.egress(parsed, `${where}.url`);
      const link = linkOf(env, task.notification.runId);
      const body = JSON.stringify(kind === 'slack' ? { text: slackText(task.notification, link) } : { ...task.notification, link });
      const timestamp = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'sluice-notify/1', 'sluice-event': task.notification.event, 'sluice-delivery': task.delivery };
      if (secret !== undefined) {
        headers['sluice-timestamp'] = String(timestamp);
        headers['sluice-signature'] = signature(secret, timestamp, body);
      }
      let response: Response;
      try {
        // No redirects: a receiver that moves is a configuration problem, not a place to follow the body to.
        response = await fetch(parsed, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS) });
      } catch (err) {
        throw new Error(hide(`${where}: ${shownUrl} could not be reached: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`));
      }
      await response.body?.cancel().catch(() => undefined);
      const status = response.status;
      if (status >= 200 && status < 300) {
        logger.info({ runId: task.notification.runId, event: task.notification.event, target: where, status }, 'notification delivered');
        return { status };
      }
      const message = hide(`${where}: ${shownUrl} answered ${status}`);
      // Busy or broken receivers are tried again; one that refuses the request will refuse it again.
      if (status === 408 || status === 429 || status >= 500) throw new Error(message);
      throw ApplicationFailure.nonRetryable(message, 'NotifyRejected');
    },
  };
}
