import { describeSpecs } from '../helpers/suite';

// Running it: observability, the explorer, hardening against hostile documents, real clients, the supergraph.
describeSpecs('integration', [
  'bulk-bounds',
  'clients',
  'explorer',
  'hardening',
  'observability',
  'operation-names',
  'query-cost',
  'supergraph',
  'supergraph-entities',
  'supergraph-router',
]);
