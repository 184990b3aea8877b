import { createHash } from 'node:crypto';

/** A device configuration as the emulator keeps it: its OData type and its certificate links. */
export interface EmulatedConfiguration {
  readonly id: string;
  readonly odataType: string;
  readonly displayName: string;
  /** `rootCertificate` or `identityCertificate` → the id of the configuration it points to. */
  readonly links: Readonly<Record<string, string>>;
}

/** A stored user status: Graph's JSON properties, values kept verbatim. */
export type EmulatedUserStatus = Record<string, unknown> & { id: string };

export const USER_STATUS_ODATA_TYPE = '#microsoft.graph.deviceConfigurationUserStatus';

/** A GUID that is the same on every run for the same seed text, so docs and tests can name seeded ids. */
export function stableGuid(seed: string): string {
  const hex = createHash('sha1').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface ConfigurationSeed {
  readonly key: string;
  readonly odataType: string;
  readonly displayName: string;
  readonly links?: Readonly<Record<string, string>>;
}

// One configuration of each kind the six paths reach, linked as in Intune: SCEP profiles point at their
// trusted root, VPN profiles at their identity certificate.
const CONFIGURATIONS: readonly ConfigurationSeed[] = [
  {
    key: 'windows10-general',
    odataType: 'windows10GeneralConfiguration',
    displayName: 'Windows 10 security baseline',
  },
  { key: 'ios-root', odataType: 'iosTrustedRootCertificate', displayName: 'Contoso Root CA (iOS)' },
  {
    key: 'ios-scep',
    odataType: 'iosScepCertificateProfile',
    displayName: 'iOS SCEP Wi-Fi certificate',
    links: { rootCertificate: 'ios-root' },
  },
  {
    key: 'macos-root',
    odataType: 'macOSTrustedRootCertificate',
    displayName: 'Contoso Root CA (macOS)',
  },
  {
    key: 'macos-scep',
    odataType: 'macOSScepCertificateProfile',
    displayName: 'macOS SCEP Wi-Fi certificate',
    links: { rootCertificate: 'macos-root' },
  },
  {
    key: 'windows10-pkcs',
    odataType: 'windows10PkcsCertificateProfile',
    displayName: 'Windows 10 VPN identity (PKCS)',
  },
  {
    key: 'windows10-vpn',
    odataType: 'windows10VpnConfiguration',
    displayName: 'Windows 10 Always On VPN',
    links: { identityCertificate: 'windows10-pkcs' },
  },
  {
    key: 'wp81-scep',
    odataType: 'windowsPhone81SCEPCertificateProfile',
    displayName: 'Windows Phone 8.1 VPN identity (SCEP)',
  },
  {
    key: 'wp81-vpn',
    odataType: 'windowsPhone81VpnConfiguration',
    displayName: 'Windows Phone 8.1 VPN',
    links: { identityCertificate: 'wp81-scep' },
  },
];

const USERS = [
  { name: 'Adele Vance', upn: 'AdeleV@contoso.onmicrosoft.com', devices: 2, status: 'compliant' },
  { name: 'Alex Wilber', upn: 'AlexW@contoso.onmicrosoft.com', devices: 1, status: 'nonCompliant' },
  {
    name: 'Megan Bowen',
    upn: 'MeganB@contoso.onmicrosoft.com',
    devices: 3,
    status: 'notApplicable',
  },
] as const;

/**
 * For each path variant, the seeded configuration a caller names and the one whose user statuses the path
 * reaches (a SCEP profile's trusted root, a VPN profile's identity certificate): examples and benches use them.
 */
export const SEEDED_PATH_TARGETS: Readonly<Record<string, readonly [string, string]>> = {
  DEVICE_CONFIGURATION: ['windows10-general', 'windows10-general'],
  ROOT_CERTIFICATE: ['ios-scep', 'ios-root'],
  IOS_SCEP_ROOT_CERTIFICATE: ['ios-scep', 'ios-root'],
  MACOS_SCEP_ROOT_CERTIFICATE: ['macos-scep', 'macos-root'],
  WINDOWS10_VPN_IDENTITY_CERTIFICATE: ['windows10-vpn', 'windows10-pkcs'],
  WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE: ['wp81-vpn', 'wp81-scep'],
};

export const configurationId = (key: string): string => stableGuid(`configuration:${key}`);
export const userStatusId = (configurationKey: string, userIndex: number): string =>
  stableGuid(`userStatus:${configurationKey}:${userIndex}`);

/** The emulator's in-memory tenant. Plain data and small operations; no HTTP here. */
export class EmulatorStore {
  readonly configurations = new Map<string, EmulatedConfiguration>();
  readonly userStatuses = new Map<string, Map<string, EmulatedUserStatus>>();

  constructor() {
    this.seed();
  }

  /** Back to the seeded tenant, as at start. */
  reset(): void {
    this.configurations.clear();
    this.userStatuses.clear();
    this.seed();
  }

  statusesOf(configuration: string): Map<string, EmulatedUserStatus> {
    let statuses = this.userStatuses.get(configuration);
    if (!statuses) {
      statuses = new Map();
      this.userStatuses.set(configuration, statuses);
    }
    return statuses;
  }

  /** Adds or replaces a user status under a configuration (tests use it to stage data). */
  put(configuration: string, status: EmulatedUserStatus): EmulatedUserStatus {
    this.statusesOf(configuration).set(status.id, status);
    return status;
  }

  private seed(): void {
    for (const seed of CONFIGURATIONS) {
      const links = Object.fromEntries(
        Object.entries(seed.links ?? {}).map(([name, key]) => [name, configurationId(key)]),
      );
      const id = configurationId(seed.key);
      this.configurations.set(id, {
        id,
        odataType: seed.odataType,
        displayName: seed.displayName,
        links,
      });
      USERS.forEach((user, index) =>
        this.put(id, {
          id: userStatusId(seed.key, index),
          userDisplayName: user.name,
          userPrincipalName: user.upn,
          devicesCount: user.devices,
          status: user.status,
          lastReportedDateTime: `2026-11-0${index + 1}T08:1${index}:00.1234567Z`,
        }),
      );
    }
  }
}
