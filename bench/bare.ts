/**
 * The bare reference forwarder: plain `node:http`, no GraphQL. It takes the same HTTP request as the gateway (the
 * GraphQL mutation's JSON body), reads the ids and status from the variables, forwards the same PATCH with the
 * same token over a keep-alive agent, and wraps Graph's answer. The least work a hand-written proxy can do.
 */
import http from 'node:http';

const upstream = new URL(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:1/beta');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const STATUS: Record<string, string> = {
  NOT_APPLICABLE: 'notApplicable',
  COMPLIANT: 'compliant',
  NON_COMPLIANT: 'nonCompliant',
};

interface Input {
  deviceConfigurationId: string;
  userStatusId: string;
  status?: string;
}

function forward(
  input: Input,
  authorization: string,
  reply: (status: number, body: string) => void,
): void {
  const body = JSON.stringify(input.status ? { status: STATUS[input.status] ?? input.status } : {});
  const path = `${upstream.pathname}/deviceManagement/deviceConfigurations/${encodeURIComponent(input.deviceConfigurationId)}/userStatuses/${encodeURIComponent(input.userStatusId)}`;
  const request = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      path,
      method: 'PATCH',
      agent,
      headers: {
        authorization,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    },
    (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        reply(
          200,
          `{"data":{"updateDeviceConfigurationUserStatus":{"userStatus":${Buffer.concat(chunks).toString('utf8')}}}}`,
        ),
      );
    },
  );
  request.on('error', () => reply(502, '{"errors":[{"message":"upstream failed"}]}'));
  request.end(body);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const reply = (status: number, body: string) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    try {
      const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        variables: { input: Input };
      };
      forward(variables.input, req.headers.authorization ?? '', reply);
    } catch {
      reply(400, '{"errors":[{"message":"bad request"}]}');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`,
  );
});
