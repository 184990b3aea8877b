import { describeSpecs } from '../helpers/suite';

// Three gateway processes sharing one Redis: mostly waiting on quota windows, so it runs beside the others.
describeSpecs('integration', ['quota-replicas']);
