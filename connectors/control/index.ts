// Control nodes: steps that move no data.
import { type Connector, task } from '../../src/kit/index.js';
import { controlSleepConfig } from './schema.js';
import { sleep } from './sleep.js';

export const control: Connector = {
  name: 'control',
  description: 'Flow control steps',
  nodes: [
    task({
      verb: 'sleep',
      description: 'Waits for a number of milliseconds; pausable, and resumes with the time left.',
      config: controlSleepConfig,
      run: sleep,
    }),
  ],
};
