// `notify` and `sla` as the validator sees them: targets, events and URLs, with paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorsOf, sleepNode, spec } from './dag-fixtures.js';

test('notify takes webhooks (optionally signed) and Slack hooks, with URLs as written or as secrets; sla is a duration', () => {
  assert.deepEqual(
    errorsOf(
      spec([sleepNode('a')], {
        sla: '30m',
        notify: [
          { on: ['failed', 'slaMissed'], webhook: { url: 'https://hooks.example.com/sluice', secret: { $secret: 'HOOK_KEY' } } },
          { on: ['succeeded'], slack: { url: { $secret: 'SLACK_HOOK' } } },
        ],
      }),
    ),
    [],
  );
});

test('bad notify entries are reported at their paths', () => {
  assert.deepEqual(
    errorsOf(
      spec([sleepNode('a')], {
        sla: 0,
        notify: [
          { on: ['failed'], webhook: { url: 'ftp://example.com/x' } },
          { on: ['exploded'], slack: { url: 'https://hooks.slack.com/x' } },
          { on: ['failed'], webhook: { url: 'https://a.example' }, slack: { url: 'https://b.example' } },
          { on: [], webhook: { url: 'https://a.example', secret: 'plain-text-key' } },
          { on: ['failed'], webhook: { url: { $secret: 'lower' } } },
        ],
      }),
    ),
    [
      'notify[0].webhook.url: expected an http or https URL',
      'notify[1].on[0]: expected one of succeeded, failed, paused, cancelled, slaMissed',
      'notify[2]: expected exactly one of webhook or slack',
      'notify[3].on: must not be empty',
      'notify[3].webhook.secret: expected object, got string',
      'notify[4].webhook.url.$secret: expected a secret name of upper-case letters, digits and _ (like HOOK_KEY)',
      'sla: must be longer than 0',
    ],
  );
});
