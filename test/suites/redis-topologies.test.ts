import { describeSpecs } from '../helpers/suite';

// A Redis Cluster, TLS and Sentinel through a failover, each behind two gateway processes (issue 26); the cluster and
// the sentinels on TLS only too, and a gateway that does not trust the cluster's CA.
describeSpecs('integration', ['quota-redis-topologies', 'quota-redis-sentinels']);
