// control.sleep through the connector conformance suite (test/conformance): a sleep stopped
// half-way hands back the time left, and a run from it sleeps only that.
import { conformance } from '../../../test/conformance/index.js';
import { control } from '../index.js';

conformance(control, async () => ({
  nodes: {
    sleep: {
      kind: 'task',
      config: { ms: 1500 },
      invalid: [
        { config: { ms: -1 }, path: 'config.ms' },
        { config: { ms: 8 * 24 * 60 * 60 * 1000 }, path: 'config.ms' },
      ],
    },
  },
}));
