// The site policy tests run nodes under when they are not testing the policy itself: no limits
// but the ones every worker keeps (src/worker/policy.ts).
import { accessFor } from '../../src/kit/access.js';
import { unrestrictedPolicy } from '../../src/worker/policy.js';

export const testPolicy = unrestrictedPolicy('the test worker');
export const testAccess = accessFor(testPolicy);
