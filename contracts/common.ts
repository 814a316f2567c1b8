import { z } from 'zod';

/** ISO 8601 UTC timestamp with seconds, e.g. 2024-01-05T10:00:00Z (offsets are normalised by mappers). */
export const IsoDateTime = z.iso.datetime({ offset: false });
export const PositiveId = z.number().int().positive();
