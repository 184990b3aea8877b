import { describeSpecs } from '../helpers/suite';

// A Redis Cluster, Sentinel through a failover and TLS, each behind two gateway processes (issue 26); the cluster and
// the sentinels on TLS only, and a gateway that does not trust the cluster's CA.
describeSpecs('integration', ['quota-redis-topologies']);
