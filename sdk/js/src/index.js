// The Context0 SDK for JavaScript and TypeScript (ES modules, built-in fetch, no dependencies).
//
//   import { Context0Client } from '@context0/sdk';
//   const client = new Context0Client({ apiKey: 'your-api-key' });
//   const memory = await client.memories.create({ text: 'Important meeting today' });

export { Context0Client } from './client.js';
export { DEFAULT_BASE_URL, VERSION } from './http.js';
export * from './errors.js';
export { verifyWebhook, signWebhook, DEFAULT_TOLERANCE } from './signatures.js';
