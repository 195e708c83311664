// Type declarations for @context0/sdk (hand-written; the runtime is plain ES modules).
// Request options and response fields use the API's own (snake_case) names.

export const DEFAULT_BASE_URL: string;
export const VERSION: string;
export const DEFAULT_TOLERANCE: number;

/** Any JSON object the API answers. */
export type JSONObject = { [key: string]: any };

export interface ClientOptions {
  /** An API key or a JWT, sent as `Authorization: Bearer …` (default: `CONTEXT0_API_KEY` in Node). */
  apiKey?: string;
  /** Default `CONTEXT0_BASE_URL` in Node, else `http://localhost:8000/api/v1`. */
  baseUrl?: string;
  /** Per attempt, in milliseconds (default 30000). */
  timeout?: number;
  /** Retries of 429, 5xx and network failures (default 3). */
  maxRetries?: number;
  /** First backoff delay in ms (default 500); it doubles up to `maxBackoff` (8000), with jitter. */
  backoff?: number;
  maxBackoff?: number;
  /** A 429 asking to wait longer than this (ms, default 60000) is thrown at once. */
  maxRetryWait?: number;
  /** Also repeat POSTs that create something after a 5xx or a broken connection (default false). */
  retryNonIdempotent?: boolean;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

export interface RateLimit {
  limit: number;
  remaining: number;
  /** Epoch second when the hourly window ends. */
  reset: number;
  resetAt: Date;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  skip: number;
}

export interface Paging {
  limit?: number;
  skip?: number;
}

export type DateLike = Date | string;

// --- Context API ---------------------------------------------------------------------

export interface ContextDocumentInput {
  content: string;
  fileName?: string;
  fileType?: string;
  fileSize?: number;
  lastModified?: string;
}

export interface ContextAddParams {
  documents: Array<ContextDocumentInput | string>;
  source?: string;
  context_type?: 'resource' | 'conversation' | 'instruction';
  scope?: 'internal' | 'external';
  metadata?: JSONObject;
  chained?: boolean;
  user_id?: string;
  organization_id?: string;
}

export interface ContextAddResult {
  message: string;
  count: number;
  documents: Array<{ id: string; duplicate: boolean; job_id: number | null; state: string }>;
}

export interface ContextSearchParams {
  query: string;
  /** Highest cosine similarity kept (default 1). */
  similarity_threshold?: number;
  /** Lowest cosine similarity kept (default 0). */
  minimum_similarity_threshold?: number;
  scope?: 'internal' | 'external';
  metadata?: JSONObject;
  limit?: number;
  user_id?: string;
}

export interface ContextSearchResult {
  results: Array<{
    contextId: string;
    contextData: string;
    documentId: string;
    source: string;
    /** Cosine similarity; null for a chunk found by its words before its embedding landed. */
    similarity: number | null;
    score: number;
    metadata: JSONObject;
  }>;
}

export interface ContextDeleteParams {
  source: string;
  by_doc?: boolean;
  by_id?: boolean;
  user_id?: string;
  organization_id?: string;
}

export interface ContextDocument extends JSONObject {
  id: string;
  source: string;
  state: 'pending' | 'chunked' | 'indexed' | 'failed';
  indexed: boolean;
  node_count: number | null;
  indexed_nodes: number;
}

export interface WaitOptions {
  /** Milliseconds (default 60000). */
  timeout?: number;
  /** Milliseconds between polls (default 500). */
  pollInterval?: number;
}

export interface Context {
  add(params: ContextAddParams): Promise<ContextAddResult>;
  search(params: ContextSearchParams): Promise<ContextSearchResult>;
  /** Resolves to `{}` (the server answers 204). */
  delete(params: ContextDeleteParams): Promise<{}>;
  view(params?: { source?: string; limit?: number; offset?: number }): Promise<{ context: JSONObject[]; total: number; limit: number; offset: number }>;
  viewDocs(params?: { limit?: number; offset?: number }): Promise<{ documents: ContextDocument[]; total: number; limit: number; offset: number }>;
  /** Waits until the documents of an `add()` answer (or these ids) are indexed and searchable. */
  waitUntilIndexed(added: ContextAddResult | string[], options?: WaitOptions): Promise<ContextDocument[]>;
}

// --- Memories ------------------------------------------------------------------------

export interface Memory extends JSONObject {
  id: string;
  text: string;
  category: string | null;
  category_confidence: number | null;
  emotion: string | null;
  emotion_confidence: number | null;
  tags: string[];
  metadata: JSONObject;
  source: 'manual' | 'chat' | 'context';
  source_refs: any;
  enrichment: 'pending' | 'done' | 'failed';
  version: number;
  valid_from: string | null;
  valid_until: string | null;
  created_at: string;
  updated_at: string;
  /** On create and update: the job that enriches the memory. */
  job_id?: number | null;
  /** On get: earlier versions. */
  history?: JSONObject[];
}

export interface MemoryHit extends Memory {
  /** Cosine similarity; null for a memory found by its words before its embedding landed. */
  similarity: number | null;
  score: number;
}

export interface MemoryFields {
  text?: string;
  category?: string;
  emotion?: string;
  tags?: string[];
  metadata?: JSONObject;
}

export interface MemoryCreateParams extends MemoryFields {
  text: string;
  source?: 'manual' | 'chat' | 'context';
}

export interface MemoryUpdateParams extends MemoryFields {
  reason?: string;
}

export interface MemoryListParams extends Paging {
  category?: string;
  emotion?: string;
  source?: 'manual' | 'chat' | 'context';
  /** All must match. */
  tags?: string[] | string;
  start_date?: DateLike;
  /** A date includes its whole day. */
  end_date?: DateLike;
  sort_by?: 'created_at' | 'updated_at' | 'category' | 'emotion';
  order?: 'asc' | 'desc';
}

export interface MemorySearchParams {
  query: string;
  limit?: number;
  /** Lowest cosine similarity kept (server default 0.3). */
  threshold?: number;
  category?: string;
  emotion?: string;
  tags?: string[];
}

export type BatchOperation =
  | ({ op: 'create' } & MemoryCreateParams)
  | ({ op: 'update'; id: string } & MemoryUpdateParams)
  | { op: 'delete'; id: string };

export interface BatchResult {
  results: Array<{ index: number; op?: string; success: boolean; id?: string; job_id?: number; error?: { code: string; details: string; field?: string } }>;
  succeeded: number;
  failed: number;
}

export interface Memories {
  create(params: MemoryCreateParams): Promise<Memory>;
  get(id: string): Promise<Memory>;
  update(id: string, params: MemoryUpdateParams): Promise<Memory>;
  delete(id: string): Promise<{ id: string; deleted: true }>;
  list(params?: MemoryListParams): Promise<Page<Memory>>;
  /** Every memory matching the filters, `pageSize` (default 100) at a time. */
  iterate(params?: MemoryListParams & { pageSize?: number }): AsyncGenerator<Memory, void, undefined>;
  search(params: MemorySearchParams): Promise<{ results: MemoryHit[]; query: string }>;
  batch(operations: BatchOperation[]): Promise<BatchResult>;
}

// --- Chat and Q&A ---------------------------------------------------------------------

export interface ChatSession extends JSONObject {
  id: string;
  title: string;
  auto_extract: boolean;
  metadata: JSONObject;
  message_count: number;
  created_at: string;
  updated_at: string;
}

export interface ChatMessage extends JSONObject {
  id: string;
  session_id: string;
  role: 'user' | 'assistant';
  content: string;
  mode: 'llm' | 'offline' | null;
  memories_used: string[];
  created_at: string;
}

export interface ChatReply {
  user_message: ChatMessage;
  assistant_message: ChatMessage;
  mode: 'llm' | 'offline';
  memories_used: MemoryHit[];
  context_used: JSONObject[];
  extraction_job_id: number | null;
}

export interface Chat {
  createSession(params?: { title?: string; auto_extract?: boolean; metadata?: JSONObject }): Promise<ChatSession>;
  listSessions(params?: Paging): Promise<Page<ChatSession>>;
  iterateSessions(options?: { pageSize?: number }): AsyncGenerator<ChatSession, void, undefined>;
  listMessages(sessionId: string, params?: Paging): Promise<Page<ChatMessage>>;
  iterateMessages(sessionId: string, options?: { pageSize?: number }): AsyncGenerator<ChatMessage, void, undefined>;
  sendMessage(sessionId: string, params: { content: string }): Promise<ChatReply>;
  extractMemories(sessionId: string): Promise<{ job_id: number; session_id: string }>;
}

export interface Answer extends JSONObject {
  id: string;
  question: string;
  answer: string;
  mode: 'llm' | 'offline';
  citations: Array<{ type: 'memory' | 'context'; id: string; snippet: string; score: number; similarity: number | null; used: boolean; document_id?: string }>;
  created_at: string;
}

export interface QA {
  ask(params: { question: string; limit?: number }): Promise<Answer>;
  history(params?: Paging): Promise<Page<Answer>>;
  iterateHistory(options?: { pageSize?: number }): AsyncGenerator<Answer, void, undefined>;
}

// --- Analytics, billing --------------------------------------------------------------

export interface DateRange {
  start_date?: DateLike;
  end_date?: DateLike;
}

export interface Analytics {
  usage(params?: DateRange): Promise<JSONObject>;
  memories(params?: DateRange): Promise<JSONObject>;
  trends(params?: DateRange & { bucket?: 'day' | 'week'; metrics?: string[] | string }): Promise<JSONObject>;
}

export interface Billing {
  usage(): Promise<JSONObject>;
  history(params?: Paging): Promise<Page<JSONObject>>;
  iterateHistory(options?: { pageSize?: number }): AsyncGenerator<JSONObject, void, undefined>;
  limits(): Promise<JSONObject>;
}

// --- Webhooks ------------------------------------------------------------------------

export interface Webhook extends JSONObject {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  consecutive_failures: number;
  created_at: string;
  updated_at: string;
  /** Only in the answer to `create`. */
  secret?: string;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed' | 'cancelled';

export interface WebhookDelivery extends JSONObject {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  response_status: number | null;
  error: string | null;
}

export interface WebhookEvent {
  id: string;
  type: string;
  timestamp: string;
  data: JSONObject;
}

export type WebhookBody = string | Uint8Array | ArrayBuffer;
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;
export interface VerifyOptions {
  /** Seconds the timestamp may be off from now (default 300). */
  tolerance?: number;
  /** Seconds since 1970 (default: now). */
  now?: number;
}

export interface Webhooks {
  create(params: { url: string; events: string[]; description?: string }): Promise<Webhook & { secret: string }>;
  list(params?: Paging): Promise<Page<Webhook>>;
  iterate(options?: { pageSize?: number }): AsyncGenerator<Webhook, void, undefined>;
  get(id: string): Promise<Webhook>;
  delete(id: string): Promise<{ id: string; deleted: true }>;
  enable(id: string): Promise<Webhook>;
  test(id: string): Promise<{ event_id: string; delivery_id: string; job_id: number }>;
  deliveries(id: string, params?: Paging & { status?: DeliveryStatus }): Promise<Page<WebhookDelivery>>;
  verify(body: WebhookBody, headers: WebhookHeaders, secret: string, options?: VerifyOptions): Promise<WebhookEvent>;
}

/** Checks a delivery's Standard Webhooks signature; resolves to the decoded event. */
export declare function verifyWebhook(body: WebhookBody, headers: WebhookHeaders, secret: string, options?: VerifyOptions): Promise<WebhookEvent>;
/** The `webhook-signature` value for a body (for testing a receiver). */
export declare function signWebhook(secret: string, webhookId: string, timestamp: number, body: WebhookBody): Promise<string>;

// --- Jobs ----------------------------------------------------------------------------

export interface Job extends JSONObject {
  id: number;
  kind: string;
  queue: string;
  state: 'available' | 'running' | 'completed' | 'failed' | 'cancelled';
  attempt: number;
  max_attempts: number;
  last_error: string | null;
}

export interface Jobs {
  get(id: number | string): Promise<Job>;
  wait(id: number | string, options?: WaitOptions & { raiseOnFailure?: boolean }): Promise<Job>;
}

// --- The client ----------------------------------------------------------------------

export declare class Context0Client {
  constructor(options?: ClientOptions);
  readonly context: Context;
  readonly memories: Memories;
  readonly chat: Chat;
  readonly qa: QA;
  readonly analytics: Analytics;
  readonly billing: Billing;
  readonly webhooks: Webhooks;
  readonly jobs: Jobs;
  /** The `X-RateLimit-*` headers of the latest authenticated answer (null before one). */
  readonly rateLimit: RateLimit | null;
  readonly baseUrl: string;
  ping(): Promise<{ version: string; database: string }>;
}

// --- Errors --------------------------------------------------------------------------

export declare class Context0Error extends Error {}

export interface APIErrorOptions {
  status: number;
  code?: string | null;
  field?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export declare class APIError extends Context0Error {
  constructor(message: string, options: APIErrorOptions);
  readonly status: number;
  /** The API's error code, e.g. `VALIDATION_ERROR`, `RESOURCE_NOT_FOUND`. */
  readonly code: string | null;
  /** The request field a validation error is about. */
  readonly field: string | null;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}
export declare class ValidationError extends APIError {}
export declare class AuthenticationError extends APIError {}
export declare class PermissionDeniedError extends APIError {}
export declare class NotFoundError extends APIError {}
export declare class RateLimitError extends APIError {
  /** Seconds the server asked to wait, or null. */
  readonly retryAfter: number | null;
}
export declare class ServerError extends APIError {}
export declare class APIConnectionError extends Context0Error {}
export declare class APITimeoutError extends APIConnectionError {}
export declare class JobFailedError extends Context0Error {
  constructor(job: Job);
  readonly job: Job;
}
export declare class WaitTimeoutError extends Context0Error {
  readonly last: unknown;
}
export declare class WebhookVerificationError extends Context0Error {}
export declare function errorForStatus(status: number): typeof APIError;
