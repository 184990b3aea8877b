import { describeSpecs } from '../helpers/suite';

// Three gateway processes sharing one Redis that bursts, stalls, dies and comes back empty: mostly waiting on
// quota windows and on Redis, so it runs beside the others.
describeSpecs('integration', ['quota-redis-replicas']);
