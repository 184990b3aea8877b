import { describeSpecs } from '../helpers/suite';

// The GraphQL API over real HTTP against the emulator: inputs, paths, answers and errors, batching, CORS.
describeSpecs('integration', [
  'auth',
  'batching',
  'client-mistakes',
  'cors',
  'differential',
  'create-delete',
  'errors',
  'federation',
  'get-parameters',
  'http-spec',
  'input',
  'json-bounds-http',
  'locations',
  'paths',
  'relay-edges',
  'request-errors',
  'typed-client',
]);
