import { describeSpecs } from '../helpers/suite';

// The connections around a request: callers that disconnect or drip, Graph reached through a real proxy.
describeSpecs('integration', ['disconnect', 'gateway-proxy', 'http-proxy', 'slow-clients']);
