// "Did you mean" for connector error messages, with the same rules as the pipeline validator's.
export { didYouMean } from '../dag/suggest.js';
