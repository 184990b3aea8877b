import { describeSpecs } from '../helpers/suite';

// The GraphQL API over real HTTP against the emulator: inputs, paths, answers and errors, batching, CORS.
describeSpecs('integration', [
  'auth',
  'batching',
  'cors',
  'create-delete',
  'errors',
  'federation',
  'http-spec',
  'input',
  'jit-differences',
  'jit-executor',
  'locations',
  'paths',
  'relay-edges',
  'request-errors',
  'typed-client',
]);
