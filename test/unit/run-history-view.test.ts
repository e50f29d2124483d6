// The history reader and the view built from it, on hand-made events: kinds it does not know and
// events without their attributes are passed over; states, attempts, outputs, pauses, skips and a
// failure without an activity come out as the workflow would report them. No server: the client
// is only used for its data converter (test/api-stale-view.test.ts covers a real server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import proto from '@temporalio/proto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { emptyHistory, foldHistory } from '../../src/api/runs/history.js';
import { buildHistoryView, type RunFacts } from '../../src/api/runs/history-view.js';

const { EventType } = proto.temporal.api.enums.v1;
const { HistoryEvent } = proto.temporal.api.history.v1;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });

const payloads = (value: unknown): { payloads: Payload[] } => ({ payloads: [defaultPayloadConverter.toPayload(value)] });
const at = (s: number) => ({ seconds: 1_800_000_000 + s, nanos: 0 });

const input = {
  pipeline: 'orders',
  version: 3,
  params: { extra: false },
  spec: {
    name: 'orders',
    nodes: [
      { id: 'a', type: 'control.sleep', needs: [], config: {} },
      { id: 'b', type: 'control.sleep', needs: ['a'], config: {}, site: 'plant' },
      { id: 'c', type: 'control.sleep', needs: ['b'], config: {} },
      { id: 'd', type: 'control.sleep', needs: ['a'], when: '{{ params.extra }}', config: {} },
      { id: 'e', type: 'control.sleep', needs: ['d'], config: {} },
    ],
  },
};

let nextId = 1;
/** An event as the server sends it (Long ids and seconds); its time is its id in seconds after the run's start. */
function event(type: number, attrs: Record<string, unknown> = {}): HistoryEvent {
  const id = nextId++;
  return HistoryEvent.fromObject({ eventId: id, eventType: type, eventTime: at(id), ...attrs });
}

function facts(over: Partial<RunFacts> = {}): RunFacts {
  return { runId: 'orders-1', status: 'running', open: true, taskQueue: 'sluice', startedAt: new Date(at(0).seconds * 1000), endedAt: null, pipeline: null, version: null, ...over };
}

/** A started run whose node a succeeded on attempt 2 and b is scheduled, with noise the reader must pass over. */
function baseEvents(): HistoryEvent[] {
  nextId = 1;
  return [
    event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, { workflowExecutionStartedEventAttributes: { input: payloads(input) } }),
    event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, { workflowTaskScheduledEventAttributes: {} }),
    event(999, { someNewEventAttributes: { x: 1 } }), // a kind from a newer server
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), // attributes missing
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, { activityTaskScheduledEventAttributes: { activityId: 'a.1', activityType: { name: 'control.sleep' }, taskQueue: { name: 'sluice' } } }), // id 5
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 2 } }),
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
      activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: payloads({ status: 'done', outputs: { n: 1 }, stats: { rowsIn: 3, rowsOut: 2, note: 'x' }, attempt: 2 }) },
    }),
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, { activityTaskCompletedEventAttributes: { scheduledEventId: 77, result: payloads({}) } }), // no such activity
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, { activityTaskScheduledEventAttributes: { activityId: 'b.1', activityType: { name: 'control.sleep' }, taskQueue: { name: 'sluice-site-plant' } } }), // id 9
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, { activityTaskScheduledEventAttributes: { activityId: '10', activityType: { name: 'sluice.saveState' }, taskQueue: { name: 'sluice' } } }),
    event(EventType.EVENT_TYPE_TIMER_STARTED, { timerStartedEventAttributes: { timerId: 't' } }),
  ];
}

test('the reader passes over event kinds it does not know and events without attributes', () => {
  const history = emptyHistory();
  foldHistory(history, baseEvents());
  assert.equal(history.events, 11);
  assert.equal(history.ignored, 3, 'the workflow task, the unknown kind and the timer');
  assert.deepEqual([...history.activities.values()].map((a) => a.activityId), ['a.1', 'b.1', '10']);
  assert.ok(history.input);
  assert.equal(history.close, null);
});

test('an open run from history: a succeeded node with its attempt and outputs, a running one, a pending one, a when-skip and what it dooms', async () => {
  const history = emptyHistory();
  foldHistory(history, baseEvents());
  const view = await buildHistoryView(client, facts(), history);
  assert.equal(view.pipeline, 'orders');
  assert.equal(view.version, 3);
  assert.equal(view.status, 'running');
  assert.equal(view.endedAt, null);
  assert.deepEqual(view.nodes.a, {
    state: 'succeeded',
    attempt: 2,
    startedAt: new Date((at(0).seconds + 5) * 1000).toISOString(),
    endedAt: new Date((at(0).seconds + 7) * 1000).toISOString(),
    stats: { rowsIn: 3, rowsOut: 2 },
    error: null,
    site: 'central',
    outputs: { n: 1 },
  });
  assert.equal(view.nodes.b!.state, 'running');
  assert.equal(view.nodes.b!.site, 'plant');
  assert.equal(view.nodes.c!.state, 'pending');
  assert.equal(view.nodes.d!.state, 'skipped', 'its when is false');
  assert.equal(view.nodes.e!.state, 'skipped', 'it needs a skipped node');
  assert.deepEqual(Object.keys(view.nodes), ['a', 'b', 'c', 'd', 'e'], 'only the spec nodes: the other activity is not one');
});

test('a node whose execution handed back a pause checkpoint is paused, and so is one whose execution was cancelled while the run is open', async () => {
  const events = baseEvents();
  events.push(
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, { activityTaskCompletedEventAttributes: { scheduledEventId: 9, result: payloads({ status: 'paused', checkpoint: 5, stats: { rowsIn: 50, rowsOut: 50 }, attempt: 1 }) } }),
  );
  const history = emptyHistory();
  foldHistory(history, events);
  const paused = await buildHistoryView(client, facts({ status: 'paused' }), history);
  assert.equal(paused.nodes.b!.state, 'paused');
  assert.equal(paused.nodes.b!.stats.rowsIn, 50);
  assert.equal(paused.nodes.b!.endedAt, null);
  assert.equal(paused.nodes.b!.outputs, null);

  // Resumed: a second execution runs, keeping the counts of the first until it reports.
  foldHistory(history, [
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, { activityTaskScheduledEventAttributes: { activityId: 'b.2', activityType: { name: 'control.sleep' }, taskQueue: { name: 'sluice-site-plant' } } }),
  ]);
  const resumed = await buildHistoryView(client, facts(), history);
  assert.equal(resumed.nodes.b!.state, 'running');
  assert.equal(resumed.nodes.b!.stats.rowsIn, 50);

  // Paused again before it could report (cancelled while waiting for a retry): paused, not cancelled.
  foldHistory(history, [event(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, { activityTaskCanceledEventAttributes: { scheduledEventId: nextId - 1 } })]);
  const again = await buildHistoryView(client, facts({ status: 'paused' }), history);
  assert.equal(again.nodes.b!.state, 'paused');
  assert.equal(again.nodes.b!.stats.rowsIn, 50);
});

test('a failed run: the node named by the run failure is failed even without an activity, what needed it skipped, the rest cancelled', async () => {
  const events = baseEvents();
  events.push(
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, { activityTaskCancelRequestedEventAttributes: { scheduledEventId: 9 } }),
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, { activityTaskCanceledEventAttributes: { scheduledEventId: 9 } }),
    event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
      workflowExecutionFailedEventAttributes: {
        failure: { message: 'node "c" failed: config.table: {{ nodes.a.outputs.t }}: no such output', applicationFailureInfo: { type: 'NodeFailed', nonRetryable: true } },
      },
    }),
  );
  const history = emptyHistory();
  foldHistory(history, events);
  const closedAt = new Date((at(0).seconds + 14) * 1000);
  const view = await buildHistoryView(client, facts({ status: 'failed', open: false, endedAt: closedAt }), history);
  assert.equal(view.error, 'node "c" failed: config.table: {{ nodes.a.outputs.t }}: no such output');
  assert.equal(view.endedAt, closedAt.toISOString());
  assert.equal(view.nodes.a!.state, 'succeeded');
  assert.equal(view.nodes.b!.state, 'cancelled');
  assert.equal(view.nodes.c!.state, 'failed');
  assert.equal(view.nodes.c!.error, 'config.table: {{ nodes.a.outputs.t }}: no such output');
  assert.equal(view.nodes.d!.state, 'skipped');
  assert.equal(view.nodes.e!.state, 'skipped');
});

test('an activity failure gives the node its message, attempt and counts from the failure details', async () => {
  const events = baseEvents();
  const details = payloads({ attempt: 4, stats: { rowsIn: 7, rowsOut: 0 } });
  events.push(
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { scheduledEventId: 9, attempt: 4 } }),
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
      activityTaskFailedEventAttributes: { scheduledEventId: 9, failure: { message: 'relation "dw.orders" does not exist', applicationFailureInfo: { type: 'ConfigError', nonRetryable: true, details } } },
    }),
  );
  const history = emptyHistory();
  foldHistory(history, events);
  const view = await buildHistoryView(client, facts(), history);
  assert.equal(view.nodes.b!.state, 'failed');
  assert.equal(view.nodes.b!.error, 'relation "dw.orders" does not exist');
  assert.equal(view.nodes.b!.attempt, 4);
  assert.deepEqual(view.nodes.b!.stats, { rowsIn: 7, rowsOut: 0 });
  assert.ok(view.nodes.b!.endedAt);
  assert.equal(view.nodes.c!.state, 'skipped');
});

test('without a readable start input, nodes are known from their activity ids and sites from their task queues', async () => {
  const events = baseEvents();
  events[0] = HistoryEvent.fromObject({ eventId: 1, eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, eventTime: at(1), workflowExecutionStartedEventAttributes: { input: payloads({ something: 'else' }) } });
  const history = emptyHistory();
  foldHistory(history, events);
  const view = await buildHistoryView(client, facts({ pipeline: 'orders', version: 3 }), history);
  assert.deepEqual(Object.keys(view.nodes), ['a', 'b']);
  assert.equal(view.nodes.a!.state, 'succeeded');
  assert.equal(view.nodes.b!.site, 'plant');
  assert.equal(view.pipeline, 'orders');
});
