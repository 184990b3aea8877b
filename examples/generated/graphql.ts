/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/**
 * Compliance status of a policy report (Graph's `complianceStatus`). A value Graph sends that this schema
 * does not know yet is returned as `UNKNOWN` (and logged by the gateway), so new Graph values never break a response.
 */
export type ComplianceStatus =
  /** Compliant (Graph: `compliant`). */
  | 'COMPLIANT'
  /** Conflict with another policy (Graph: `conflict`). */
  | 'CONFLICT'
  /** Error (Graph: `error`). */
  | 'ERROR'
  /** Not compliant (Graph: `nonCompliant`). */
  | 'NON_COMPLIANT'
  /** The policy does not apply (Graph: `notApplicable`). */
  | 'NOT_APPLICABLE'
  /** Not assigned (Graph: `notAssigned`). */
  | 'NOT_ASSIGNED'
  /** Remediated (Graph: `remediated`). */
  | 'REMEDIATED'
  /** Unknown, or a value this gateway does not know yet (Graph: `unknown`). */
  | 'UNKNOWN';

/**
 * What to change on one user status, and where it is. Give only the fields to change: each one you give is
 * sent to Graph, and the others are left as they are. An explicit `null`, or no field to change, is `BAD_USER_INPUT`.
 */
export type UpdateDeviceConfigurationUserStatusInput = {
  /** The device configuration's id (`{c}` in the path). At most 256 characters; no `/ \ ? # %`, whitespace or control characters; not `.` or `..`. */
  deviceConfigurationId: string;
  /** New devices count. */
  devicesCount?: number | null | undefined;
  /** New last-reported time, sent to Graph verbatim. */
  lastReportedDateTime?: string | null | undefined;
  /** Which Graph REST path to use. */
  path?: UserStatusPath;
  /** New compliance status. */
  status?: ComplianceStatus | null | undefined;
  /** New user display name. */
  userDisplayName?: string | null | undefined;
  /** New user principal name. */
  userPrincipalName?: string | null | undefined;
  /** The user status's id (`{s}` in the path), with the same rules as `deviceConfigurationId`. */
  userStatusId: string;
};

/**
 * Which Microsoft Graph REST path reaches the user status. Every path is under `GRAPH_BASE_URL`
 * (default `https://graph.microsoft.com/beta`); `{c}` is `deviceConfigurationId`, `{s}` is `userStatusId`.
 */
export type UserStatusPath =
  /** `/deviceManagement/deviceConfigurations/{c}/userStatuses/{s}`: the configuration's own user statuses. */
  | 'DEVICE_CONFIGURATION'
  /** `/deviceManagement/deviceConfigurations/{c}/microsoft.graph.iosScepCertificateProfile/rootCertificate/userStatuses/{s}`: the root certificate of an iOS SCEP certificate profile. */
  | 'IOS_SCEP_ROOT_CERTIFICATE'
  /** `/deviceManagement/deviceConfigurations/{c}/microsoft.graph.macOSScepCertificateProfile/rootCertificate/userStatuses/{s}`: the root certificate of a macOS SCEP certificate profile. */
  | 'MACOS_SCEP_ROOT_CERTIFICATE'
  /** `/deviceManagement/deviceConfigurations/{c}/rootCertificate/userStatuses/{s}`: the user statuses of the configuration's trusted root certificate. */
  | 'ROOT_CERTIFICATE'
  /** `/deviceManagement/deviceConfigurations/{c}/microsoft.graph.windows10VpnConfiguration/identityCertificate/userStatuses/{s}`: the identity certificate of a Windows 10 VPN configuration. */
  | 'WINDOWS10_VPN_IDENTITY_CERTIFICATE'
  /** `/deviceManagement/deviceConfigurations/{c}/microsoft.graph.windowsPhone81VpnConfiguration/identityCertificate/userStatuses/{s}`: the identity certificate of a Windows Phone 8.1 VPN configuration. */
  | 'WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE';

export type UpdateUserStatusesMutationVariables = Exact<{
  inputs: Array<UpdateDeviceConfigurationUserStatusInput> | UpdateDeviceConfigurationUserStatusInput;
}>;


export type UpdateUserStatusesMutation = { updateDeviceConfigurationUserStatuses: Array<{ userStatus: { id: string, status: ComplianceStatus | null } | null, error: { code: string, message: string, status: number | null, retryAfterSeconds: number | null } | null }> };

export type GetUserStatusQueryVariables = Exact<{
  path?: UserStatusPath;
  deviceConfigurationId: string;
  userStatusId: string;
}>;


export type GetUserStatusQuery = { deviceConfigurationUserStatus: { id: string, status: ComplianceStatus | null, lastReportedDateTime: string | null, userDisplayName: string | null, userPrincipalName: string | null, devicesCount: number | null } | null };

export type ListUserStatusesQueryVariables = Exact<{
  deviceConfigurationId: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
  status?: ComplianceStatus | null | undefined;
}>;


export type ListUserStatusesQuery = { deviceConfigurationUserStatuses: { nodes: Array<{ id: string, status: ComplianceStatus | null, userPrincipalName: string | null }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type UpdateUserStatusMutationVariables = Exact<{
  input: UpdateDeviceConfigurationUserStatusInput;
}>;


export type UpdateUserStatusMutation = { updateDeviceConfigurationUserStatus: { requestId: string | null, clientRequestId: string | null, userStatus: { id: string, status: ComplianceStatus | null, lastReportedDateTime: string | null, userDisplayName: string | null, userPrincipalName: string | null, devicesCount: number | null } } | null };


export const UpdateUserStatusesDocument = {"__meta__":{"hash":"sha256:98408039c64a8133ecb7442ede6b292806b2af88b7bba2167741822126e2fdef"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateUserStatuses"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateDeviceConfigurationUserStatusInput"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateDeviceConfigurationUserStatuses"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"inputs"},"value":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"userStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"retryAfterSeconds"}}]}}]}}]}}]} as unknown as DocumentNode<UpdateUserStatusesMutation, UpdateUserStatusesMutationVariables>;
export const GetUserStatusDocument = {"__meta__":{"hash":"sha256:05eccc6360eea1986012702050016759b133802da4e29d7e7e23a791046a6466"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GetUserStatus"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"path"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UserStatusPath"}}},"defaultValue":{"kind":"EnumValue","value":"DEVICE_CONFIGURATION"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"deviceConfigurationId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userStatusId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deviceConfigurationUserStatus"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"path"},"value":{"kind":"Variable","name":{"kind":"Name","value":"path"}}},{"kind":"Argument","name":{"kind":"Name","value":"deviceConfigurationId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"deviceConfigurationId"}}},{"kind":"Argument","name":{"kind":"Name","value":"userStatusId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userStatusId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastReportedDateTime"}},{"kind":"Field","name":{"kind":"Name","value":"userDisplayName"}},{"kind":"Field","name":{"kind":"Name","value":"userPrincipalName"}},{"kind":"Field","name":{"kind":"Name","value":"devicesCount"}}]}}]}}]} as unknown as DocumentNode<GetUserStatusQuery, GetUserStatusQueryVariables>;
export const ListUserStatusesDocument = {"__meta__":{"hash":"sha256:fa81b9f142a56466f94bdba9efbbf74f67d2da5b66290c5ae91cbe20d864fb41"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ListUserStatuses"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"deviceConfigurationId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ComplianceStatus"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deviceConfigurationUserStatuses"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"deviceConfigurationId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"deviceConfigurationId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"userPrincipalName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ListUserStatusesQuery, ListUserStatusesQueryVariables>;
export const UpdateUserStatusDocument = {"__meta__":{"hash":"sha256:0cabddd0a383cee14ef731ae85244ab3eac97ba3589cd2fc6e0e2f587c617926"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateUserStatus"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateDeviceConfigurationUserStatusInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateDeviceConfigurationUserStatus"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"userStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastReportedDateTime"}},{"kind":"Field","name":{"kind":"Name","value":"userDisplayName"}},{"kind":"Field","name":{"kind":"Name","value":"userPrincipalName"}},{"kind":"Field","name":{"kind":"Name","value":"devicesCount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"clientRequestId"}}]}}]}}]} as unknown as DocumentNode<UpdateUserStatusMutation, UpdateUserStatusMutationVariables>;