import type { GraphUserStatus, ListPageInfo, UserStatusPage } from '../graph';

/**
 * The paging state a list gives (src/graph/user-statuses/lists.ts): Graph's paging is forward-only. The generated
 * resolver types use these as parents (codegen.yml mappers), so this module imports nothing from them (no cycle).
 */
export type ForwardPageInfo = ListPageInfo;

/** A connection's edge before its fields resolve: the node, and where its cursor comes from (encoded if asked). */
export interface UserStatusEdge {
  readonly node: GraphUserStatus;
  readonly page: UserStatusPage;
  readonly index: number;
}

/** The page's nodes as Relay edges; each cursor is encoded only when selected. */
export function toEdges(page: UserStatusPage): UserStatusEdge[] {
  return page.nodes.map((node, index) => ({ node, page, index }));
}

/**
 * The Relay `PageInfo` field Graph has nothing for. Graph pages forward only (`@odata.nextLink`, no link back), so
 * there is never a previous page to offer; the Relay specification allows `hasPreviousPage: false` when paging
 * with `first`/`after`. https://relay.dev/graphql/connections.htm#sec-undefined.PageInfo.Fields
 * https://learn.microsoft.com/graph/paging
 */
export const pageInfoResolvers = {
  PageInfo: {
    hasPreviousPage: (): boolean => false,
  },
};
