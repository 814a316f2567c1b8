import { z } from 'zod';
import { BotReplyV1Schema } from '../../contracts/v1/bot-reply.js';
import { ConversationV1Schema, CustomerTextV1, IdTokenV1 } from '../../contracts/v1/conversation.js';
import { BotReplyV2Schema, upgradeBotReply } from '../../contracts/v2/bot-reply.js';
import { ConversationV2Schema, upgradeConversation } from '../../contracts/v2/conversation.js';
import { botReplyFromLegacy } from '../../mappers/bot-reply.js';
import { conversationFromLegacy, customerMessageToLegacy } from '../../mappers/conversation.js';
import { legacyStatusError, NoQuery } from './shared.js';
import type { ContractContext, ContractEndpoint } from './types.js';

const ConvParams = z.object({ id: IdTokenV1 }).strict();
/** The body a new client posts: the conversation id comes from the path. */
const PostBody = z.object({ customerId: IdTokenV1, text: CustomerTextV1 }).strict();

async function readConversation(id: string, ctx: ContractContext) {
  const { response, json } = await ctx.adapters.conversations.listMessages(id, {
    signal: ctx.signal,
    headers: ctx.forwardHeaders,
  });
  if (json === undefined) throw legacyStatusError(response.status, 'conversations', 'conversation');
  const { value, carry } = conversationFromLegacy(json, { conversationId: id });
  ctx.recordGaps(carry.gaps);
  return value;
}

/** Posts the customer's message to legacy and answers with what the bot replied, as a BotReply. */
async function post(id: string, body: z.infer<typeof PostBody>, ctx: ContractContext) {
  const legacyBody = customerMessageToLegacy({ conversationId: id, customerId: body.customerId, text: body.text });
  const { response, json } = await ctx.adapters.conversations.postMessage(id, legacyBody, {
    signal: ctx.signal,
    headers: ctx.forwardHeaders,
  });
  if (json === undefined) throw legacyStatusError(response.status, 'conversations', 'conversation');
  const answer = botReplyFromLegacy(json);
  ctx.recordGaps(answer.carry.gaps);
  return answer.value;
}

const cid = (p: unknown) => (p as z.infer<typeof ConvParams>).id;
const bod = (b: unknown) => b as z.infer<typeof PostBody>;

export const CONVERSATION_ENDPOINTS: ContractEndpoint[] = [
  {
    id: 'contracts.v1.conversations.get',
    method: 'GET',
    version: 'v1',
    path: '/conversations/:id',
    params: ConvParams,
    query: NoQuery,
    response: ConversationV1Schema,
    handle: async ({ params }, ctx) => ({ status: 200, body: await readConversation(cid(params), ctx) }),
  },
  {
    id: 'contracts.v2.conversations.get',
    method: 'GET',
    version: 'v2',
    path: '/conversations/:id',
    params: ConvParams,
    query: NoQuery,
    response: ConversationV2Schema,
    handle: async ({ params }, ctx) => ({
      status: 200,
      body: upgradeConversation(await readConversation(cid(params), ctx)),
    }),
  },
  {
    id: 'contracts.v1.conversations.post',
    method: 'POST',
    version: 'v1',
    path: '/conversations/:id/messages',
    params: ConvParams,
    query: NoQuery,
    body: PostBody,
    response: BotReplyV1Schema,
    handle: async ({ params, body }, ctx) => ({ status: 201, body: await post(cid(params), bod(body), ctx) }),
  },
  {
    id: 'contracts.v2.conversations.post',
    method: 'POST',
    version: 'v2',
    path: '/conversations/:id/messages',
    params: ConvParams,
    query: NoQuery,
    body: PostBody,
    response: BotReplyV2Schema,
    handle: async ({ params, body }, ctx) => ({
      status: 201,
      body: upgradeBotReply(await post(cid(params), bod(body), ctx)),
    }),
  },
];
