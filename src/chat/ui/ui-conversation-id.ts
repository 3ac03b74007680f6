import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** This service's UUIDv5 namespace for chat ids. */
const NAMESPACE = Buffer.from('3f1d6a9c0b2e4c7d8e5f60718293a4b5', 'hex');

/**
 * The conversation a chat id names for a user. A UUID is the conversation id itself (an app that keeps its own ids
 * passes them through); any other id (the AI SDK's default `generateId()`) names the UUIDv5 of the user and the id,
 * so the same chat always lands in the same conversation and two users' ids never meet.
 */
export function conversationIdFor(userId: string, chatId: string): string {
  if (UUID.test(chatId)) return chatId.toLowerCase();
  const hash = createHash('sha1').update(NAMESPACE).update(`${userId}\n${chatId}`, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
