import { describeSpecs } from '../helpers/suite';

// Three gateway processes through one Redis against a stricter Graph: 429 storms and forged tokens (issue 23).
describeSpecs('integration', ['quota-late-arrival', 'quota-pressure']);
