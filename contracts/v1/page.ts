import { z } from 'zod';

/** A cursor page of items, version 1 (legacy offset and cursor pagination both map onto it). */
export const PageInfoV1Schema = z
  .object({
    hasMore: z.boolean(),
    /** Opaque; pass back as `cursor` to get the next page. */
    nextCursor: z.string().min(1).nullable(),
    prevCursor: z.string().min(1).nullable(),
  })
  .strict();

export function pageV1Schema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), page: PageInfoV1Schema }).strict();
}

export type PageInfoV1 = z.infer<typeof PageInfoV1Schema>;
