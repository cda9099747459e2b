// The API's contract (docs/openapi.json) as a test sees it: which documented operation an answer
// belongs to, and whether the answer is one the document describes (status, content type, body
// checked by Ajv against the operation's JSON Schema 2020-12). The recorder (api-recorder.ts) feeds
// it every answer the suite receives; test/web/openapi.test.ts checks the routes both ways.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** One answer of the API as a client received it. */
export interface ApiAnswer {
  method: string;
  /** The request path with its query, as sent (e.g. `/api/v1/mta-sts/example.org?limit=5`). */
  url: string;
  status: number;
  contentType: string | null;
  /** The body as text; null when it was too large to keep (its schema is then not checked). */
  body: string | null;
}

interface MediaType {
  schema?: unknown;
}
interface Response {
  $ref?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, Response>;
}
export interface OpenApiDocument {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, Response> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The API paths the document covers (below its server URL /api/v1). */
export const API_PREFIX = '/api/v1';

export function documentPath(): string {
  // dist/test/support -> the repository's docs/.
  return join(__dirname, '../../../docs/openapi.json');
}

export function loadDocument(): OpenApiDocument {
  return JSON.parse(readFileSync(documentPath(), 'utf8')) as OpenApiDocument;
}

/** True for a request path the document is about (the PowerDNS fake's /api/v1/servers is not). */
export function isDocumentedArea(url: string): boolean {
  const path = url.split('?')[0].toLowerCase();
  return path === `${API_PREFIX}/openapi.json` || path === `${API_PREFIX}/mta-sts` || path.startsWith(`${API_PREFIX}/mta-sts/`);
}

/** Every documented operation as "METHOD /path/{param}" (below the server URL). */
export function documentedOperations(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${path}`));
}

/** An Express route path (`/:domain/history`) as an OpenAPI path template (`/{domain}/history`). */
export function templateOf(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

/**
 * The document's path template of a request path, literal segments winning over parameters
 * (`/mta-sts/defaults` before `/mta-sts/{domain}`); null when none matches.
 */
export function matchTemplate(doc: OpenApiDocument, url: string): string | null {
  // Express routes ignore one trailing slash (`/api/v1/mta-sts/` is the overview).
  const path = url.split('?')[0].replace(/(.)\/$/, '$1');
  if (!path.toLowerCase().startsWith(API_PREFIX)) return null;
  const segments = path.slice(API_PREFIX.length).split('/');
  let best: { template: string; literals: number } | null = null;
  for (const template of Object.keys(doc.paths)) {
    const parts = template.split('/');
    if (parts.length !== segments.length) continue;
    let literals = 0;
    const fits = parts.every((part, i) => {
      if (/^\{\w+\}$/.test(part)) return segments[i] !== '';
      literals++;
      return part.toLowerCase() === segments[i].toLowerCase();
    });
    if (fits && (best === null || literals > best.literals)) best = { template, literals };
  }
  return best?.template ?? null;
}

/** Checks answers against the document; each problem is one line naming the route and what is wrong. */
export class ContractChecker {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly doc: OpenApiDocument) {
    addFormats(this.ajv);
    // Component references become references into one schema holding them all.
    this.ajv.addSchema({ $id: 'openapi', $defs: rewriteRefs(doc.components.schemas) as Record<string, unknown> });
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(schema) as object);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** Compiles the schema of every documented answer (strict Ajv throws on a keyword it does not know). */
  compileAll(): number {
    let n = 0;
    for (const [path, item] of Object.entries(this.doc.paths))
      for (const method of METHODS) {
        const operation = item[method] as Operation | undefined;
        for (const [status, found] of Object.entries(operation?.responses ?? {})) {
          const response = found.$ref ? this.doc.components.responses[found.$ref.replace('#/components/responses/', '')] : found;
          for (const [type, media] of Object.entries(response?.content ?? {})) {
            if (media.schema === undefined) continue;
            this.validator(`${method.toUpperCase()} ${path} ${status} ${type}`, media.schema);
            n++;
          }
        }
      }
    return n;
  }

  /** The problems of one answer (empty: it is what the document says). */
  check(answer: ApiAnswer): string[] {
    const method = answer.method.toUpperCase() === 'HEAD' ? 'get' : answer.method.toLowerCase();
    const path = answer.url.split('?')[0];
    const template = matchTemplate(this.doc, answer.url);
    const operation = template === null ? undefined : (this.doc.paths[template][method] as Operation | undefined);
    if (template === null || operation === undefined) {
      // No route matched: the router's refusal (401/403/404/405 in the error shape) is documented once, for any path.
      if ([401, 403, 404, 405].includes(answer.status) && this.checkBody('components/responses/Error', answer, errorContent()).length === 0) return [];
      return [`undocumented route: ${answer.method.toUpperCase()} ${template ?? path} answered ${answer.status} (add it to docs/openapi.json)`];
    }
    const label = `${method.toUpperCase()} ${template}`;
    const found = operation.responses[String(answer.status)] ?? operation.responses[`${String(answer.status)[0]}XX`] ?? operation.responses.default;
    if (!found) return [`${label}: status ${answer.status} is not documented`];
    const response = found.$ref ? this.doc.components.responses[found.$ref.replace('#/components/responses/', '')] : found;
    if (!response) return [`${label}: ${found.$ref} is not in components.responses`];
    return this.checkBody(`${label} ${answer.status}`, answer, response.content);
  }

  private checkBody(label: string, answer: ApiAnswer, content: Record<string, MediaType> | undefined): string[] {
    if (!content) return answer.body ? [`${label}: a body was sent where none is documented`] : [];
    if (answer.method.toUpperCase() === 'HEAD') return [];
    const type = (answer.contentType ?? '').split(';')[0].trim().toLowerCase();
    const media = content[type];
    if (!media) return [`${label}: content type ${type || '(none)'} is not documented (${Object.keys(content).join(', ')})`];
    if (media.schema === undefined || answer.body === null || !type.endsWith('json')) return [];
    let value: unknown;
    try {
      value = JSON.parse(answer.body);
    } catch {
      return [`${label}: the body is not JSON`];
    }
    const validate = this.validator(`${label} ${type}`, media.schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).slice(0, 5).map((e) => `${label}: body${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }
}

function errorContent(): Record<string, MediaType> {
  return { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', 'openapi#/$defs/') : rewriteRefs(v)]),
  );
}
