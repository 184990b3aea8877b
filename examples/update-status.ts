/**
 * Runs against `npm run demo`: `npx tsx examples/update-status.ts [gateway URL]`. Without a URL it calls the demo's
 * gateway on PORT, as the demo does (`PORT=4100 npm run demo` then `PORT=4100 npx tsx examples/update-status.ts`).
 * Updates a seeded user status through the Windows 10 VPN identity-certificate path, then reads it back.
 */
import { createGatewayClient } from './client';
import { GetUserStatusDocument, UpdateUserStatusDocument } from './generated/graphql';

async function main(): Promise<void> {
  const client = createGatewayClient({
    url: process.argv[2] ?? `http://127.0.0.1:${process.env.PORT || '4000'}/graphql`,
    token: 'demo',
  });
  const ids = {
    deviceConfigurationId: 'f54d2489-94c6-440f-a7a5-bba3b1031073',
    userStatusId: '63f41801-cbeb-41c9-a94c-da5f50e2b875',
  };
  const updated = await client.request(UpdateUserStatusDocument, {
    input: {
      path: 'WINDOWS10_VPN_IDENTITY_CERTIFICATE',
      ...ids,
      status: 'COMPLIANT',
      devicesCount: 3,
    },
  });
  console.log('updated:', updated.updateDeviceConfigurationUserStatus?.userStatus);
  const read = await client.request(GetUserStatusDocument, {
    path: 'WINDOWS10_VPN_IDENTITY_CERTIFICATE',
    ...ids,
  });
  console.log('read back:', read.deviceConfigurationUserStatus?.status);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
