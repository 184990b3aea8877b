/**
 * "A typical Apollo build", for comparison: Apollo Server's standalone server and `@apollo/datasource-rest`, as
 * their docs show them, serving the same mutation over the same upstream stand-in. No validation, error mapping,
 * retries, metrics or logs: what a team gets in an afternoon.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { RESTDataSource } from '@apollo/datasource-rest';

class GraphAPI extends RESTDataSource {
  override baseURL = `${process.env.UPSTREAM_URL ?? 'http://127.0.0.1:1/beta'}/`;
  constructor(private readonly token: string) {
    super();
  }
  override willSendRequest(_path: string, request: { headers: Record<string, string> }) {
    request.headers.authorization = this.token;
  }
  update(c: string, s: string, body: Record<string, unknown>) {
    return this.patch<Record<string, unknown>>(
      `deviceManagement/deviceConfigurations/${encodeURIComponent(c)}/userStatuses/${encodeURIComponent(s)}`,
      { body },
    );
  }
}

const typeDefs = `#graphql
  enum ComplianceStatus { UNKNOWN NOT_APPLICABLE COMPLIANT REMEDIATED NON_COMPLIANT ERROR CONFLICT NOT_ASSIGNED }
  type DeviceConfigurationUserStatus { id: ID! status: String lastReportedDateTime: String userDisplayName: String }
  input UpdateDeviceConfigurationUserStatusInput { deviceConfigurationId: ID! userStatusId: ID! status: ComplianceStatus }
  type UpdateDeviceConfigurationUserStatusPayload { userStatus: DeviceConfigurationUserStatus! }
  type Query { ok: Boolean }
  type Mutation { updateDeviceConfigurationUserStatus(input: UpdateDeviceConfigurationUserStatusInput!): UpdateDeviceConfigurationUserStatusPayload }
`;
const STATUS: Record<string, string> = { NOT_APPLICABLE: 'notApplicable', COMPLIANT: 'compliant' };

interface Context {
  dataSources: { graph: GraphAPI };
}

const server = new ApolloServer<Context>({
  typeDefs,
  resolvers: {
    Mutation: {
      updateDeviceConfigurationUserStatus: async (
        _root,
        {
          input,
        }: { input: { deviceConfigurationId: string; userStatusId: string; status?: string } },
        { dataSources },
      ) => ({
        userStatus: await dataSources.graph.update(
          input.deviceConfigurationId,
          input.userStatusId,
          input.status ? { status: STATUS[input.status] } : {},
        ),
      }),
    },
  },
});

void startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 0), host: '127.0.0.1' },
  context: ({ req }) =>
    Promise.resolve({ dataSources: { graph: new GraphAPI(req.headers.authorization ?? '') } }),
}).then(({ url }) =>
  process.stdout.write(`${JSON.stringify({ port: Number(new URL(url).port) })}\n`),
);
