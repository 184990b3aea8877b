import { describeSpecs } from '../helpers/suite';

// The connections around a request: callers that disconnect or drip, Graph reached through a real proxy, each
// tenant's share of the connections to Graph.
describeSpecs('integration', [
  'disconnect',
  'gateway-proxy',
  'http-proxy',
  'slow-clients',
  'tenant-cap',
  'tenant-cap-budget',
]);
