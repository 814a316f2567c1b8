import { z } from 'zod';

/** RFC 9457 problem details as the gateway sends them, with a stable `code` and, for 400s, every invalid field. */
export const ProblemV1Schema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    code: z.string().regex(/^GW_[A-Z0-9_]+$/),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() }).strict()).optional(),
  })
  .strict();

export type ProblemV1 = z.infer<typeof ProblemV1Schema>;
