import { describeSpecs } from '../helpers/suite';

// A Redis Cluster, Sentinel through a failover and TLS, each behind two gateway processes (issue 26).
describeSpecs('integration', ['quota-redis-topologies']);
