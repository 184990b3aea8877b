import type { UserStatusPath } from '../generated/graphql';

/** The example update on one path, as the explorer shows it in its own tab. */
export interface PathExample {
  /**
   * The tab's operation name. GraphiQL titles a tab with its operation name, so each path gets its own
   * (letters and digits only: a GraphQL name).
   */
  readonly operationName: string;
  /** What the path reaches, in words, for the tab's first comment line ("Update a user status of …"). */
  readonly reaches: string;
  /** A seeded configuration the path reaches in the emulator. */
  readonly deviceConfigurationId: string;
  /** A seeded user status under that path. */
  readonly userStatusId: string;
}

/**
 * One example per path, with ids the Graph emulator seeds (`stableGuid` in emulator/store.ts), so every tab runs
 * as it is against `npm run demo`. Plain data: production code never imports the emulator.
 * test/unit/explorer-examples.spec.ts fails when these drift from the emulator's seed.
 */
export const PATH_EXAMPLES: Readonly<Record<UserStatusPath, PathExample>> = {
  DEVICE_CONFIGURATION: {
    operationName: 'UpdateOnDeviceConfiguration',
    reaches: 'the configuration itself',
    deviceConfigurationId: 'fb2e09f7-878d-4440-aa28-935f7a56e498',
    userStatusId: '2f2248c2-757e-4cb8-ac40-d957f8896c4f',
  },
  ROOT_CERTIFICATE: {
    operationName: 'UpdateOnRootCertificate',
    reaches: "the configuration's trusted root certificate",
    deviceConfigurationId: '1e93db6d-da28-44f9-ae0c-2d1b663a7db6',
    userStatusId: '0dd65d2e-9825-4737-acf6-23be39015a2f',
  },
  IOS_SCEP_ROOT_CERTIFICATE: {
    operationName: 'UpdateOnIosScepRootCertificate',
    reaches: 'the root certificate of an iOS SCEP certificate profile',
    deviceConfigurationId: '1e93db6d-da28-44f9-ae0c-2d1b663a7db6',
    userStatusId: '0dd65d2e-9825-4737-acf6-23be39015a2f',
  },
  MACOS_SCEP_ROOT_CERTIFICATE: {
    operationName: 'UpdateOnMacOSScepRootCertificate',
    reaches: 'the root certificate of a macOS SCEP certificate profile',
    deviceConfigurationId: '3de255d2-a4ef-438c-af36-f5afa2b83794',
    userStatusId: 'e57be608-98c7-4bf3-a987-9a1c7008defe',
  },
  WINDOWS10_VPN_IDENTITY_CERTIFICATE: {
    operationName: 'UpdateOnWindows10VpnIdentityCertificate',
    reaches: 'the identity certificate of a Windows 10 VPN configuration',
    deviceConfigurationId: 'f54d2489-94c6-440f-a7a5-bba3b1031073',
    userStatusId: '63f41801-cbeb-41c9-a94c-da5f50e2b875',
  },
  WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE: {
    operationName: 'UpdateOnWindowsPhone81VpnIdentityCertificate',
    reaches: 'the identity certificate of a Windows Phone 8.1 VPN configuration',
    deviceConfigurationId: '343ba940-4fc5-410c-a4d1-4916a0fa2d56',
    userStatusId: '98141ad8-d31d-41a2-aa4c-336a85da0240',
  },
};

/** The six paths in the schema's order. */
export const EXAMPLE_PATHS = Object.keys(PATH_EXAMPLES) as readonly UserStatusPath[];

/** The values every example update sets: the ones in Graph's own update example. */
export const EXAMPLE_UPDATE = {
  status: 'NOT_APPLICABLE',
  lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
} as const;
