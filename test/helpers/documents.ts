/**
 * Documents the specs send, apart from the harness: a spec that only drives gateway processes imports them without
 * loading the in-process gateway (Apollo, Fastify, graphql-js) into its runner.
 */

/** A bulk update selecting every field of a result, for tests of what each item gets. */
export const BULK_MUTATION = /* GraphQL */ `
  mutation Bulk($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) {
    updateDeviceConfigurationUserStatuses(inputs: $inputs) {
      userStatus {
        id
        status
      }
      error {
        code
        message
        status
        requestId
        retryAfterSeconds
      }
    }
  }
`;
