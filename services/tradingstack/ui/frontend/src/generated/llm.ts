// Generated from the llm service's OpenAPI document by openapi-typescript (hack/ui_types.py).
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
    "/api/v1/analyze": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Analyze
         * @description Gather bars, indicators, forecast, patterns, regime, scores and RAG context (each with
         *     a timeout; kept per bar, so a second analysis of the same bar asks no service again). The
         *     direction, confidence and levels come from those inputs by a documented rule (`rule` in
         *     the answer; an input without a measured edge counts for nothing); the model writes only
         *     the rationale, which is checked against the evidence and replaced by one built from the
         *     evidence when it names what the evidence does not contain. `inputs_used`,
         *     `inputs_missing` and `inputs_preparing` (models still training, with their jobs) say what
         *     was actually gathered; nothing is invented for a missing input. `POST /analyze/stream`
         *     answers the same with its stages as they happen.
         */
        post: operations["analyze_api_v1_analyze_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/analyze/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Analyze Stream
         * @description `POST /analyze` with its stages streamed (NDJSON), for a client that shows progress:
         *     each input as it arrives (`preparing` ones with their job's progress), the call, the
         *     rationale being written, then the answer. An unknown symbol or no bars is answered before
         *     the stream starts (404/503 problem+json, as `/analyze`).
         */
        post: operations["analyze_stream_api_v1_analyze_stream_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/model": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Model Info
         * @description The backend and model answering.
         */
        get: operations["model_info_api_v1_model_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Chat
         * @description Chat in a session (bounded count, TTL). A reply that starts repeating itself is stopped
         *     there (`finish_reason: repetition`); one cut at the token cap says so (`truncated`,
         *     `notice`); with `rag: true`, `sources` names the knowledge documents given to the model.
         *     `stream: true` answers server-sent events: `session` (the id), `data` (`{"delta": ...}` per
         *     piece), then `done` (with `finish_reason`, `truncated`, `notice`, `sources`) or `error`.
         */
        post: operations["chat_api_v1_chat_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Sessions */
        get: operations["list_sessions_api_v1_chat_sessions_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/sessions/{session_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Session */
        get: operations["get_session_api_v1_chat_sessions__session_id__get"];
        put?: never;
        post?: never;
        /** Delete Session */
        delete: operations["delete_session_api_v1_chat_sessions__session_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * Analysis
         * @description The answer of POST /analyze. The direction, confidence and levels come from the inputs
         *     by a documented rule; the model writes only the rationale and cannot change them.
         */
        Analysis: {
            /**
             * Direction
             * @enum {string}
             */
            direction: "long" | "short" | "neutral";
            /** Confidence */
            confidence: number;
            /**
             * Entry
             * @description entry price; null when neutral
             */
            entry: number | null;
            /**
             * Stop Loss
             * @description stop-loss price; null when neutral
             */
            stop_loss: number | null;
            /**
             * Take Profits
             * @description 1-3 targets; empty when neutral
             */
            take_profits: number[];
            /**
             * Risk Reward
             * @description |first target - entry| / |entry - stop|
             */
            risk_reward: number | null;
            /** Rationale */
            rationale: string;
            /**
             * Rule
             * @description the rule that made the call, in words
             */
            rule: string;
            /**
             * Decision Reason
             * @description why this call, in words
             */
            decision_reason: string;
            /**
             * Net
             * @description the rule's net signal, -1 (short) to 1 (long)
             */
            net: number;
            /** Signals */
            signals: components["schemas"]["SignalOut"][];
            /**
             * Levels Basis
             * @description how each level was computed
             */
            levels_basis: string[];
            /**
             * Rationale Source
             * @description model: the model's text passed the evidence check; evidence: built from the evidence (the model's was rejected, or it did not answer)
             * @enum {string}
             */
            rationale_source: "model" | "evidence";
            /**
             * Rationale Rejected
             * @description why the model's rationales were rejected, per attempt
             */
            rationale_rejected: string[];
            /**
             * Rationale Note
             * @description for people: where the rationale came from
             */
            rationale_note: string | null;
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /** Last Close */
            last_close: number;
            /**
             * Inputs Used
             * @description inputs gathered and given to the model
             */
            inputs_used: string[];
            /**
             * Inputs Missing
             * @description inputs that could not be gathered (no guess)
             */
            inputs_missing: string[];
            /**
             * Inputs Preparing
             * @description inputs whose models are being trained (see `inputs[name].job`); counted for nothing, asked again next time
             */
            inputs_preparing?: string[];
            /** Inputs */
            inputs: {
                [key: string]: components["schemas"]["InputStatus"];
            };
            /** Backend */
            backend: string;
            /** Model */
            model: string;
            /**
             * Attempts
             * @description rationales asked of the model
             */
            attempts: number;
            /** Gather Seconds */
            gather_seconds: number;
            /** Generation Seconds */
            generation_seconds: number;
            /** Prompt */
            prompt?: string | null;
        };
        /**
         * AnalyzeRequest
         * @example {
         *       "symbol": "BTCUSD",
         *       "timeframe": "H1"
         *     }
         */
        AnalyzeRequest: {
            /** Symbol */
            symbol: string;
            /** @default H1 */
            timeframe: components["schemas"]["Timeframe"];
            /**
             * Include Prompt
             * @description return the prompt the model saw
             * @default false
             */
            include_prompt: boolean;
        };
        /** ChatRequest */
        ChatRequest: {
            /** Message */
            message: string;
            /**
             * Session Id
             * @description continue a session; omit to start one
             */
            session_id?: string | null;
            /**
             * System
             * @description system prompt (new sessions)
             */
            system?: string | null;
            /**
             * Stream
             * @description answer as server-sent events
             * @default false
             */
            stream: boolean;
            /**
             * Rag
             * @description add the knowledge base's context to the message
             * @default false
             */
            rag: boolean;
            /**
             * Symbol
             * @description filter the RAG context
             */
            symbol?: string | null;
        };
        /** ChatResponse */
        ChatResponse: {
            /** Session Id */
            session_id: string;
            /** Reply */
            reply: string;
            /** Messages */
            messages: number;
            /** Context Used */
            context_used?: string[];
            /**
             * Sources
             * @description the knowledge documents given to the model
             */
            sources?: components["schemas"]["ChatSource"][];
            /**
             * Finish Reason
             * @description stop: the model ended; length: cut at the token cap; repetition: stopped when it began to repeat itself
             * @enum {string}
             */
            finish_reason: "stop" | "length" | "repetition";
            /**
             * Truncated
             * @description the reply was cut at the token cap
             */
            truncated: boolean;
            /**
             * Notice
             * @description for people: how the answer ended, when not by itself
             */
            notice: string | null;
        };
        /**
         * ChatSource
         * @description A knowledge-base document that grounded a chat answer (rag=true).
         */
        ChatSource: {
            /** Document Id */
            document_id: string;
            /** Chunk */
            chunk: number;
            /**
             * Score
             * @description cosine similarity to the message
             */
            score: number;
            /** Source */
            source: string | null;
            /** Symbol */
            symbol: string | null;
            /** Time */
            time: string | null;
            /**
             * Title
             * @description the document's metadata title, when it has one
             */
            title: string | null;
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
        /** InputStatus */
        InputStatus: {
            /** Ok */
            ok: boolean;
            /** Seconds */
            seconds: number;
            /** Error */
            error?: string | null;
            /**
             * State
             * @description ok: gathered; missing: could not be gathered (nothing is guessed); preparing: its model is being trained (`job`), counted for nothing
             * @default ok
             * @enum {string}
             */
            state: "ok" | "missing" | "preparing";
            /**
             * Cached
             * @description kept from an earlier analysis of the same bar
             * @default false
             */
            cached: boolean;
            /** @description the job preparing its model */
            job?: components["schemas"]["Job"] | null;
        };
        /** Job */
        Job: {
            /** Id */
            id: string;
            /**
             * Kind
             * @description what it does, e.g. `train`, `fit`, `score`
             */
            kind: string;
            /**
             * Service
             * @description the service that runs it (nhits, tcn, hmm)
             */
            service: string;
            /** Symbol */
            symbol?: string | null;
            /** Timeframe */
            timeframe?: string | null;
            /**
             * Reason
             * @description why it runs: user, first-start, on-demand, schedule, drift
             * @default user
             */
            reason: string;
            state: components["schemas"]["JobState"];
            progress?: components["schemas"]["JobProgress"];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Started At */
            started_at?: string | null;
            /** Finished At */
            finished_at?: string | null;
            /**
             * Error
             * @description why it failed, for people
             */
            error?: string | null;
        };
        /** JobProgress */
        JobProgress: {
            /**
             * Percent
             * @default 0
             */
            percent: number;
            /**
             * Step
             * @description what the job is doing now, in words
             * @default
             */
            step: string;
            /**
             * Eta Seconds
             * @description estimated seconds left; null before it can be told, 0 when done
             */
            eta_seconds?: number | null;
            /**
             * Message
             * @description the latest detail (e.g. `epoch 3/10, loss 0.41`)
             * @default
             */
            message: string;
        };
        /**
         * JobState
         * @enum {string}
         */
        JobState: "queued" | "running" | "succeeded" | "failed" | "cancelled";
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
         * ModelInfo
         * @description The backend and model answering (`GET /api/v1/model`).
         */
        ModelInfo: {
            /**
             * Backend
             * @enum {string}
             */
            backend: "llama-server" | "llamacpp" | "ollama";
            /**
             * Model
             * @description the GGUF file (llama.cpp) or the Ollama model name
             */
            model: string;
            /**
             * Status
             * @enum {string}
             */
            status: "healthy" | "degraded" | "unhealthy";
            /**
             * Details
             * @description what the backend reports (an error, its URL)
             */
            details: {
                [key: string]: unknown;
            };
            /** Max Tokens */
            max_tokens: number;
            /**
             * N Ctx
             * @description the context window (llama.cpp; null for ollama)
             */
            n_ctx: number | null;
        };
        /**
         * ModelQuality
         * @description What a model's answers are worth, measured on data it was not fitted on.
         *
         *     It travels with every answer of a model (forecast, patterns, regime, score), so that a
         *     consumer (the analysis, the dashboard) can weigh the answer by it: an input whose
         *     `has_edge` is false counts for nothing in the analysis's direction and is shown to people
         *     as "no demonstrated edge" (or "no better than no change").
         */
        ModelQuality: {
            /**
             * Metric
             * @description what was measured, e.g. 'relative MAE vs naive', 'hold-out AUC', 'macro-F1 on held-out real windows'
             */
            metric: string;
            /**
             * Value
             * @description the measured value (null: not measured yet)
             */
            value: number | null;
            /**
             * Ci Low
             * @description lower end of its 95 % interval
             */
            ci_low?: number | null;
            /**
             * Ci High
             * @description upper end of its 95 % interval
             */
            ci_high?: number | null;
            /**
             * Baseline
             * @description the same metric for no skill (1.0 for relative MAE, 0.5 for AUC, ...)
             */
            baseline: number | null;
            /** Higher Is Better */
            higher_is_better: boolean;
            /**
             * Has Edge
             * @description the whole 95 % interval lies on the better side of the baseline
             */
            has_edge: boolean;
            /**
             * Evaluated On
             * @description the held-out data it was measured on, in words
             */
            evaluated_on: string;
            /**
             * Summary
             * @description for people, e.g. 'no better than no change'
             */
            summary: string;
        };
        /** SessionDetail */
        SessionDetail: {
            /** Session Id */
            session_id: string;
            /** Messages */
            messages: number;
            /** Created At */
            created_at: number;
            /** Last Used At */
            last_used_at: number;
            /** Expires In Seconds */
            expires_in_seconds: number;
            /** History */
            history: {
                [key: string]: string;
            }[];
        };
        /** SessionInfo */
        SessionInfo: {
            /** Session Id */
            session_id: string;
            /** Messages */
            messages: number;
            /** Created At */
            created_at: number;
            /** Last Used At */
            last_used_at: number;
            /** Expires In Seconds */
            expires_in_seconds: number;
        };
        /** SessionList */
        SessionList: {
            /** Sessions */
            sessions: components["schemas"]["SessionInfo"][];
            /** Max Sessions */
            max_sessions: number;
            /** Ttl Seconds */
            ttl_seconds: number;
        };
        /**
         * SignalOut
         * @description One input's signal and what it is worth (`tradingstack.llm.decision`).
         */
        SignalOut: {
            /**
             * Input
             * @enum {string}
             */
            input: "forecast" | "patterns" | "regime" | "score";
            /**
             * Vote
             * @enum {string}
             */
            vote: "long" | "short" | "none";
            /** Strength */
            strength: number;
            /**
             * Has Edge
             * @description its producer measured an edge on held-out data
             */
            has_edge: boolean;
            /**
             * Counted
             * @description it took part in the call (only inputs with an edge do)
             */
            counted: boolean;
            /**
             * Contribution
             * @description vote x strength when counted, else 0
             */
            contribution: number;
            /**
             * Reading
             * @description what it says, with its numbers
             */
            reading: string;
            /**
             * Quality
             * @description its measured quality (score: the long and the short model); empty: none measured, which counts as no edge
             */
            quality: components["schemas"]["ModelQuality"][];
        };
        /** SystemMetrics */
        SystemMetrics: {
            cpu: components["schemas"]["CpuMetrics"];
            memory: components["schemas"]["MemoryMetrics"];
            gpu: components["schemas"]["GpuMetrics"];
        };
        /**
         * Timeframe
         * @description A bar size. Values are the API spelling (`?timeframe=H1`).
         * @enum {string}
         */
        Timeframe: "M5" | "M15" | "H1" | "H4" | "D1";
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
export type Analysis = components['schemas']['Analysis'];
export type AnalyzeRequest = components['schemas']['AnalyzeRequest'];
export type ChatRequest = components['schemas']['ChatRequest'];
export type ChatResponse = components['schemas']['ChatResponse'];
export type ChatSource = components['schemas']['ChatSource'];
export type CpuMetrics = components['schemas']['CpuMetrics'];
export type GpuDevice = components['schemas']['GpuDevice'];
export type GpuMetrics = components['schemas']['GpuMetrics'];
export type Health = components['schemas']['Health'];
export type InputStatus = components['schemas']['InputStatus'];
export type Job = components['schemas']['Job'];
export type JobProgress = components['schemas']['JobProgress'];
export type JobState = components['schemas']['JobState'];
export type MemoryMetrics = components['schemas']['MemoryMetrics'];
export type ModelInfo = components['schemas']['ModelInfo'];
export type ModelQuality = components['schemas']['ModelQuality'];
export type SessionDetail = components['schemas']['SessionDetail'];
export type SessionInfo = components['schemas']['SessionInfo'];
export type SessionList = components['schemas']['SessionList'];
export type SignalOut = components['schemas']['SignalOut'];
export type SystemMetrics = components['schemas']['SystemMetrics'];
export type Timeframe = components['schemas']['Timeframe'];
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
    analyze_api_v1_analyze_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AnalyzeRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Analysis"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`); No data (`urn:tradingstack:problem:no-data`); No data in range (`urn:tradingstack:problem:no-data-in-range`) */
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
            /** @description Upstream failed (`urn:tradingstack:problem:upstream-failed`) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream unavailable (`urn:tradingstack:problem:upstream-unavailable`) */
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
    analyze_stream_api_v1_analyze_stream_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AnalyzeRequest"];
            };
        };
        responses: {
            /** @description newline-delimited JSON, one `AnalyzeEvent` a line: `input` per input as it arrives, `decision`, `rationale` (the model is writing), then `done` with the whole analysis (as `POST /analyze` answers it) or `error` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`); No data (`urn:tradingstack:problem:no-data`); No data in range (`urn:tradingstack:problem:no-data-in-range`) */
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
            /** @description Upstream failed (`urn:tradingstack:problem:upstream-failed`) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upstream unavailable (`urn:tradingstack:problem:upstream-unavailable`) */
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
    model_info_api_v1_model_get: {
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
                    "application/json": components["schemas"]["ModelInfo"];
                };
            };
        };
    };
    chat_api_v1_chat_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChatRequest"];
            };
        };
        responses: {
            /** @description the reply (JSON), or with `stream: true` server-sent events */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatResponse"];
                    "text/event-stream": {
                        /**
                         * @description session: {session_id}; message (no event line): {delta}; done: the reply and why it ended; error: {status, detail}
                         * @enum {string}
                         */
                        event: "session" | "message" | "done" | "error";
                        data: string;
                        id?: string;
                        retry?: number;
                    };
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
            /** @description Bad Gateway */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Service Unavailable */
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
    list_sessions_api_v1_chat_sessions_get: {
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
                    "application/json": components["schemas"]["SessionList"];
                };
            };
        };
    };
    get_session_api_v1_chat_sessions__session_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
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
                    "application/json": components["schemas"]["SessionDetail"];
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
        };
    };
    delete_session_api_v1_chat_sessions__session_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
        };
    };
}
