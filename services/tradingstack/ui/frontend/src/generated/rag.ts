// Generated from the rag service's OpenAPI document by openapi-typescript (hack/ui_types.py).
// Do not edit: run `make ui-types` after changing the service's schemas.

export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Health
         * @description Liveness and readiness of this service, in the seed's format.
         */
        get: operations["health_health_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/system/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * System Metrics
         * @description CPU (percent, cores, temperature), memory, and GPU (NVML or Jetson sysfs).
         */
        get: operations["system_metrics_api_v1_system_metrics_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/documents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Documents
         * @description Documents (without their text) matching the filters.
         */
        get: operations["list_documents_api_v1_documents_get"];
        put?: never;
        /**
         * Add Document
         * @description Add one document: chunked with overlap, embedded by the embedder, deduplicated by
         *     content hash (a duplicate answers 200 with the stored document's id).
         */
        post: operations["add_document_api_v1_documents_post"];
        /**
         * Delete Documents
         * @description Delete every document matching the filters (at least one filter is required).
         */
        delete: operations["delete_documents_api_v1_documents_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/documents/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add Documents
         * @description Add many documents in one request.
         */
        post: operations["add_documents_api_v1_documents_batch_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/documents/{doc_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Document */
        get: operations["get_document_api_v1_documents__doc_id__get"];
        /**
         * Replace Document
         * @description Replace a document's text and metadata (re-chunked and re-embedded, same id).
         */
        put: operations["replace_document_api_v1_documents__doc_id__put"];
        post?: never;
        /** Delete Document */
        delete: operations["delete_document_api_v1_documents__doc_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/query": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Query
         * @description The k chunks most similar (cosine) to `text` among those that pass the filters.
         *
         *     Filters: `symbol`, `source` (the document's field or the same metadata key), `time_from`,
         *     `time_to`, `document_id`, and any metadata key, by equality (`{"sector": "tech"}`) or "in"
         *     (`{"sector": ["tech", "energy"]}` or `{"sector": {"$in": [...]}}`). A metadata key that
         *     no stored document has is a 422 (a typo, not an empty answer).
         */
        post: operations["query_api_v1_query_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/index": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Index Stats */
        get: operations["index_stats_api_v1_index_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/index/rebuild": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rebuild
         * @description Rebuild the FAISS index from the document store (after a corrupt index, or to re-pick
         *     exact vs. ANN). A corrupt document store cannot be rebuilt: restore it from a backup.
         */
        post: operations["rebuild_api_v1_index_rebuild_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** BatchOut */
        BatchOut: {
            /** Results */
            results: components["schemas"]["DocumentOut"][];
            /** Added */
            added: number;
            /** Duplicates */
            duplicates: number;
        };
        /** CpuMetrics */
        CpuMetrics: {
            /**
             * Percent
             * @description utilisation since the previous call, 0-100
             */
            percent: number;
            /** Cores Logical */
            cores_logical: number;
            /** Cores Physical */
            cores_physical: number | null;
            /** Load Average */
            load_average: [
                number,
                number,
                number
            ] | null;
            /** Temperature Celsius */
            temperature_celsius: number | null;
        };
        /** DeleteResult */
        DeleteResult: {
            /** Deleted */
            deleted: number;
            /** Ids */
            ids: string[];
        };
        /** Document */
        Document: {
            /** Id */
            id: string;
            /** Content Hash */
            content_hash: string;
            /** Symbol */
            symbol: string | null;
            /** Source */
            source: string | null;
            /** Time */
            time: string | null;
            /** Metadata */
            metadata: {
                [key: string]: unknown;
            };
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /** Chunks */
            chunks: number;
            /** Chars */
            chars: number;
            /** Text */
            text?: string | null;
        };
        /** DocumentBatch */
        DocumentBatch: {
            /** Documents */
            documents: components["schemas"]["DocumentIn"][];
        };
        /** DocumentIn */
        DocumentIn: {
            /**
             * Text
             * @description the document; chunked with overlap
             */
            text: string;
            /** Symbol */
            symbol?: string | null;
            /**
             * Source
             * @description e.g. news, filing, note
             */
            source?: string | null;
            /**
             * Time
             * @description when the document was published
             */
            time?: string | null;
            /** Metadata */
            metadata?: {
                [key: string]: unknown;
            };
        };
        /** DocumentList */
        DocumentList: {
            /** Items */
            items: components["schemas"]["Document"][];
            /** Total */
            total: number;
            /** Limit */
            limit: number;
            /** Offset */
            offset: number;
        };
        /** DocumentOut */
        DocumentOut: {
            /** Id */
            id: string;
            /**
             * Duplicate
             * @description the same content (hash) was stored already: its id
             */
            duplicate: boolean;
            /** Chunks */
            chunks: number;
        };
        /** GpuDevice */
        GpuDevice: {
            /** Index */
            index: number;
            /** Name */
            name: string;
            /** Memory Total Bytes */
            memory_total_bytes?: number | null;
            /** Memory Used Bytes */
            memory_used_bytes?: number | null;
            /** Utilization Percent */
            utilization_percent?: number | null;
            /** Temperature Celsius */
            temperature_celsius?: number | null;
        };
        /** GpuMetrics */
        GpuMetrics: {
            /** Available */
            available: boolean;
            /** Source */
            source?: ("nvml" | "jetson-sysfs") | null;
            /**
             * Devices
             * @default []
             */
            devices: components["schemas"]["GpuDevice"][];
            /** Error */
            error?: string | null;
        };
        /**
         * Health
         * @description The `/health` document of every service (the seed's fields, plus details).
         */
        Health: {
            /**
             * Status
             * @enum {string}
             */
            status: "healthy" | "degraded" | "unhealthy";
            /** Service */
            service: string;
            /** Version */
            version: string;
            /** Uptime Seconds */
            uptime_seconds: number;
            /**
             * Training In Progress
             * @default false
             */
            training_in_progress: boolean;
            /** Details */
            details?: {
                [key: string]: unknown;
            };
        };
        /** IndexStats */
        IndexStats: {
            /** Documents */
            documents: number;
            /** Chunks */
            chunks: number;
            /** Vectors */
            vectors: number;
            /** Index */
            index: string;
            /** Dimension */
            dimension: number | null;
            /** Model */
            model: string | null;
            /** Ann Threshold */
            ann_threshold: number;
            /** Ann Kind */
            ann_kind: string;
            /**
             * Gpu
             * @description unfiltered searches run on the GPU (same as device == 'gpu')
             */
            gpu: boolean;
            /**
             * Device
             * @description where the index is searched
             * @enum {string}
             */
            device: "cpu" | "gpu";
            /**
             * Faiss Gpus
             * @description GPUs faiss sees (0 with faiss-cpu)
             */
            faiss_gpus: number;
            /**
             * Faiss Build
             * @description the installed faiss wheel: faiss-cpu, faiss-gpu, or both (a broken mix)
             */
            faiss_build: string;
            /**
             * Gpu Error
             * @description why the index went back to the CPU, when a GPU failed
             */
            gpu_error?: string | null;
        };
        /** MemoryMetrics */
        MemoryMetrics: {
            /** Total Bytes */
            total_bytes: number;
            /** Used Bytes */
            used_bytes: number;
            /** Available Bytes */
            available_bytes: number;
            /** Percent */
            percent: number;
        };
        /**
         * QueryFilters
         * @description What a hit must match. Beside the named filters, any other key is a metadata key (as
         *     in Chroma, Qdrant or LangChain): `{"sector": "tech"}` is equality, `{"sector": ["tech",
         *     "energy"]}` or `{"sector": {"$in": [...]}}` is "in"; a metadata value that is a list
         *     matches when one of its items does. `symbol` and `source` match the document's field or
         *     the same key of its metadata. A metadata key no stored document has is a 422.
         */
        QueryFilters: {
            /**
             * Symbol
             * @description one symbol or a list
             */
            symbol?: string[] | null;
            /**
             * Source
             * @description one source or a list
             */
            source?: string[] | null;
            /** Time From */
            time_from?: string | null;
            /** Time To */
            time_to?: string | null;
            /** Document Id */
            document_id?: string[] | null;
            /**
             * Metadata
             * @description metadata key -> value, list of values, or {'$eq': v} / {'$in': [...]}; the same as giving the keys next to the named filters
             */
            metadata?: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        /** QueryHit */
        QueryHit: {
            /** Chunk Id */
            chunk_id: number;
            /** Document Id */
            document_id: string;
            /** Chunk */
            chunk: number;
            /**
             * Score
             * @description cosine similarity
             */
            score: number;
            /** Text */
            text: string;
            /** Symbol */
            symbol: string | null;
            /** Source */
            source: string | null;
            /** Time */
            time: string | null;
            /** Metadata */
            metadata: {
                [key: string]: unknown;
            };
        };
        /** QueryRequest */
        QueryRequest: {
            /** Text */
            text: string;
            /**
             * K
             * @default 5
             */
            k: number;
            filters?: components["schemas"]["QueryFilters"];
        };
        /** QueryResponse */
        QueryResponse: {
            /** Results */
            results: components["schemas"]["QueryHit"][];
            /** K */
            k: number;
            /**
             * Matched
             * @description chunks that pass the filters
             */
            matched: number;
            /** Index */
            index: string;
            /** Exact */
            exact: boolean;
            /** Model */
            model: string | null;
        };
        /** SystemMetrics */
        SystemMetrics: {
            cpu: components["schemas"]["CpuMetrics"];
            memory: components["schemas"]["MemoryMetrics"];
            gpu: components["schemas"]["GpuMetrics"];
        };
        /** FieldProblem */
        FieldProblem: {
            /**
             * Field
             * @description where, e.g. `query.limit` or `symbol`
             */
            field: string;
            /** Message */
            message: string;
            /**
             * Type
             * @description pydantic's error type
             * @default null
             */
            type: string | null;
        };
        /**
         * Problem
         * @description The body of every error answer (RFC 9457 problem details, `application/problem+json`).
         */
        Problem: {
            /**
             * Type
             * @description the problem type (a URI): branch on it, not on the status alone. One of the types in docs/problems.md, or about:blank for a plain HTTP error (401, 403, 405, no such route, an internal error)
             * @default about:blank
             * @example urn:tradingstack:problem:invalid-request
             * @example urn:tradingstack:problem:not-found
             * @example urn:tradingstack:problem:unknown-symbol
             * @example urn:tradingstack:problem:no-data
             * @example urn:tradingstack:problem:no-data-in-range
             * @example urn:tradingstack:problem:model-not-trained
             * @example urn:tradingstack:problem:model-corrupt
             * @example urn:tradingstack:problem:model-being-prepared
             * @example urn:tradingstack:problem:conflict
             * @example urn:tradingstack:problem:embedding-model-mismatch
             * @example urn:tradingstack:problem:too-large
             * @example urn:tradingstack:problem:storage-unavailable
             * @example urn:tradingstack:problem:upstream-unavailable
             * @example urn:tradingstack:problem:upstream-failed
             */
            type: string;
            /** Title */
            title: string;
            /** Status */
            status: number;
            /**
             * Detail
             * @description what went wrong and what to do about it
             */
            detail: string;
            /**
             * Instance
             * @description the path that was requested
             * @default null
             */
            instance: string | null;
            /**
             * Errors
             * @description each invalid field (422 only)
             * @default null
             */
            errors: components["schemas"]["FieldProblem"][] | null;
        } & {
            [key: string]: unknown;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type BatchOut = components['schemas']['BatchOut'];
export type CpuMetrics = components['schemas']['CpuMetrics'];
export type DeleteResult = components['schemas']['DeleteResult'];
export type Document = components['schemas']['Document'];
export type DocumentBatch = components['schemas']['DocumentBatch'];
export type DocumentIn = components['schemas']['DocumentIn'];
export type DocumentList = components['schemas']['DocumentList'];
export type DocumentOut = components['schemas']['DocumentOut'];
export type GpuDevice = components['schemas']['GpuDevice'];
export type GpuMetrics = components['schemas']['GpuMetrics'];
export type Health = components['schemas']['Health'];
export type IndexStats = components['schemas']['IndexStats'];
export type MemoryMetrics = components['schemas']['MemoryMetrics'];
export type QueryFilters = components['schemas']['QueryFilters'];
export type QueryHit = components['schemas']['QueryHit'];
export type QueryRequest = components['schemas']['QueryRequest'];
export type QueryResponse = components['schemas']['QueryResponse'];
export type SystemMetrics = components['schemas']['SystemMetrics'];
export type FieldProblem = components['schemas']['FieldProblem'];
export type Problem = components['schemas']['Problem'];
export type $defs = Record<string, never>;
export interface operations {
    health_health_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    system_metrics_api_v1_system_metrics_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SystemMetrics"];
                };
            };
        };
    };
    list_documents_api_v1_documents_get: {
        parameters: {
            query?: {
                symbol?: string[] | null;
                source?: string[] | null;
                time_from?: string | null;
                time_to?: string | null;
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DocumentList"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    add_document_api_v1_documents_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DocumentIn"];
            };
        };
        responses: {
            /** @description a duplicate: the stored document's id */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DocumentOut"];
                };
            };
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DocumentOut"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Embedding model mismatch (`urn:tradingstack:problem:embedding-model-mismatch`) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content too large (`urn:tradingstack:problem:too-large`) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream failed (`urn:tradingstack:problem:upstream-failed`) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream unavailable (`urn:tradingstack:problem:upstream-unavailable`); Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_documents_api_v1_documents_delete: {
        parameters: {
            query?: {
                symbol?: string[] | null;
                source?: string[] | null;
                time_from?: string | null;
                time_to?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeleteResult"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    add_documents_api_v1_documents_batch_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DocumentBatch"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchOut"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Embedding model mismatch (`urn:tradingstack:problem:embedding-model-mismatch`) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content too large (`urn:tradingstack:problem:too-large`) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream failed (`urn:tradingstack:problem:upstream-failed`) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream unavailable (`urn:tradingstack:problem:upstream-unavailable`); Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_document_api_v1_documents__doc_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                doc_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Document"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    replace_document_api_v1_documents__doc_id__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                doc_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DocumentIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DocumentOut"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict (`urn:tradingstack:problem:conflict`) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content too large (`urn:tradingstack:problem:too-large`) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream failed (`urn:tradingstack:problem:upstream-failed`) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream unavailable (`urn:tradingstack:problem:upstream-unavailable`); Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_document_api_v1_documents__doc_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                doc_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeleteResult"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    query_api_v1_query_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["QueryRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueryResponse"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Embedding model mismatch (`urn:tradingstack:problem:embedding-model-mismatch`) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content too large (`urn:tradingstack:problem:too-large`) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream failed (`urn:tradingstack:problem:upstream-failed`) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream unavailable (`urn:tradingstack:problem:upstream-unavailable`); Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    index_stats_api_v1_index_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IndexStats"];
                };
            };
            /** @description Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    rebuild_api_v1_index_rebuild_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IndexStats"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Storage unavailable (`urn:tradingstack:problem:storage-unavailable`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
