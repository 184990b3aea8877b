import { describeSpecs } from '../helpers/suite';

// Persisted operations: automatic persisted queries (in-process and through a real Redis shared by gateway
// processes), trusted documents and the allowlist, with the real clients (Apollo Client, urql, the typed client).
describeSpecs('integration', ['persisted-operations']);
