/**
 * The paging state a list gives (src/graph/user-statuses/lists.ts): Graph's paging is forward-only. The generated resolver types
 * use it as `PageInfo`'s parent (codegen.yml mappers), so this module imports nothing from them (no cycle).
 */
export interface ForwardPageInfo {
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

/**
 * The two Relay `PageInfo` fields Graph has nothing for. Graph pages forward only (`@odata.nextLink`, no link back and
 * no cursor per item), so there is never a previous page to offer, and no cursor for a page's start; the Relay
 * specification allows `hasPreviousPage: false` when paging with `first`/`after`, and a null `startCursor`.
 * https://relay.dev/graphql/connections.htm#sec-undefined.PageInfo.Fields
 * https://learn.microsoft.com/graph/paging
 */
export const pageInfoResolvers = {
  PageInfo: {
    hasPreviousPage: (): boolean => false,
    startCursor: (): string | null => null,
  },
};
