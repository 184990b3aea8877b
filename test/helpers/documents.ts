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

/** One page of a configuration's user statuses, every paging argument a variable, as the list specs send it. */
export const LIST_QUERY = /* GraphQL */ `
  query List(
    $path: UserStatusPath
    $c: ID!
    $first: Int
    $after: String
    $status: ComplianceStatus
  ) {
    deviceConfigurationUserStatuses(
      path: $path
      deviceConfigurationId: $c
      first: $first
      after: $after
      status: $status
    ) {
      nodes {
        id
        status
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

/** What `LIST_QUERY` answers. */
export interface ListPage {
  nodes: Array<{ id: string; status: string }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
