import { checkTokenHygiene } from './token-hygiene';

// After every test: a token in the logs fails the test that wrote it, not a later one.
afterEach(() => checkTokenHygiene());
