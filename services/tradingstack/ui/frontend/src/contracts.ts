// The services' contracts as the dashboard reads them: the types generated from each service's
// OpenAPI document (src/generated/, `make ui-types`) and typed calls whose path and answer come
// from those documents, so a renamed route or field of a service fails `tsc` (and CI) here.
import { getJson, sendJson, type RequestOptions } from "./api";
import { prefixOf } from "./config";
import type * as dataApi from "./generated/data";
import type * as hmmApi from "./generated/hmm";
import type * as llmApi from "./generated/llm";
import type * as nhitsApi from "./generated/nhits";
import type * as ragApi from "./generated/rag";
import type * as tcnApi from "./generated/tcn";

export type { dataApi, hmmApi, llmApi, nhitsApi, ragApi, tcnApi };

type Json<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Success<Op> = Op extends { responses: infer R }
  ? { [C in keyof R]: C extends 200 | 201 | 202 ? Json<R[C]> : never }[keyof R]
  : never;
type Body<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
type Method = "get" | "post" | "put" | "delete";
/** The routes of `Paths` that answer `M`. */
type Routes<Paths, M extends Method> = {
  [P in keyof Paths]: Paths[P] extends Record<M, unknown> ? P : never;
}[keyof Paths] &
  string;
/** The JSON a route answers on success (its 2xx application/json schema). */
export type Answer<Paths, P extends keyof Paths, M extends Method> = Paths[P] extends Record<M, infer Op>
  ? Success<Op>
  : never;

type Call = Omit<RequestOptions, "method" | "json"> & { params?: Record<string, string> };

/** "/api/v1/regime/{symbol}" with {symbol: "BTC/USD"} -> "/api/v1/regime/BTC%2FUSD". */
export function fill(route: string, params: Record<string, string> = {}): string {
  return route.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in params)) throw new Error(`no value for {${k}} in ${route}`);
    return encodeURIComponent(params[k]);
  });
}

/** Typed calls to one service through its gateway prefix (`/hmm/api/v1/...`). */
export function client<Paths>(service: string) {
  const url = (route: string, params?: Record<string, string>) => `${prefixOf(service)}${fill(route, params)}`;
  return {
    url,
    get<P extends Routes<Paths, "get">>(route: P, opts: Call = {}): Promise<Answer<Paths, P, "get">> {
      return getJson<Answer<Paths, P, "get">>(url(route, opts.params), opts);
    },
    async post<P extends Routes<Paths, "post">>(
      route: P,
      body?: Body<Paths[P] extends Record<"post", infer Op> ? Op : never>,
      opts: Call = {},
    ): Promise<Answer<Paths, P, "post">> {
      const out = await sendJson<Answer<Paths, P, "post">>("POST", url(route, opts.params), body, opts);
      if (out === null) throw new Error(`${service} answered ${route} with no body`);
      return out;
    },
    async delete<P extends Routes<Paths, "delete">>(route: P, opts: Call = {}): Promise<void> {
      await sendJson("DELETE", url(route, opts.params), undefined, opts);
    },
  };
}

export const dataClient = client<dataApi.paths>("data");
export const nhitsClient = client<nhitsApi.paths>("nhits");
export const tcnClient = client<tcnApi.paths>("tcn");
export const hmmClient = client<hmmApi.paths>("hmm");
export const ragClient = client<ragApi.paths>("rag");
export const llmClient = client<llmApi.paths>("llm");
