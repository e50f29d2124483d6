// The transform node types through the connector conformance suite (test/conformance), each over
// the suite's sample dataset, whose `code` column is numeric text except for one bad value and a null.
import { conformance } from '../../../test/conformance/index.js';
import { transformConnector } from '../index.js';

conformance(transformConnector, async () => ({
  nodes: {
    map: {
      kind: 'transform',
      // Column-wise (a rename, a drop, a cast): it declares `columns`; "x7" cannot be an int.
      config: { rename: { label: 'name' }, cast: { code: 'int' }, drop: ['meta'] },
      expect: { rows: 19, bad: 1 },
      invalid: [
        { config: { cast: { code: 'integer' } }, path: 'config.cast.code' },
        { config: { compute: { total: 'amount *' } }, path: 'config.compute.total' },
      ],
    },
    filter: {
      kind: 'transform',
      config: { where: 'int(code) > 110' },
      expect: { rows: 9, bad: 2 },
      invalid: [{ config: { where: 'int(' }, path: 'config.where' }],
    },
    dedupe: {
      kind: 'transform',
      // Keys repeat across parts, so a resumed run must remember the keys of parts already staged.
      config: { key: ['grp'] },
      expect: { rows: 4, bad: 0 },
      invalid: [{ config: { key: ['grp'], keep: 'last' }, path: 'config.keep' }],
    },
    validate: {
      kind: 'transform',
      config: { fields: { code: { required: true, pattern: '^\\d+$' }, ratio: { type: 'float', min: 0 } } },
      expect: { rows: 18, bad: 2 },
      invalid: [{ config: { fields: { ratio: { min: 5, max: 1 } } }, path: 'config.fields.ratio.max' }],
    },
  },
}));
