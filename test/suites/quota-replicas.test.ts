import { describeSpecs } from '../helpers/suite';

// Gateways sharing one Redis: three processes mostly waiting on quota windows, so it runs beside the others; and two
// in-process gateways in front of the emulator, whose forged token's 429 must hold neither replica.
describeSpecs('integration', ['quota-forged-429', 'quota-replicas']);
