// Generated from the nhits service's OpenAPI document by openapi-typescript (hack/ui_types.py).
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
    "/api/v1/forecast/{symbol}/train": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Train
         * @description Start a training job (202 with the job; follow it at GET /api/v1/jobs/{id}); 409 with
         *     the `job` while one is queued or running for this model.
         */
        post: operations["train_api_v1_forecast__symbol__train_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/forecast/{symbol}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Forecast
         * @description Median and 80 %/95 % intervals for the next bars, with the model's age and measured
         *     quality. Never waits for a training: without a model, the job that trains a small one is
         *     started (or found) and the answer is a 503 `model-being-prepared` with that `job` and a
         *     Retry-After.
         */
        get: operations["forecast_api_v1_forecast__symbol__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/forecast/{symbol}/evaluation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Evaluation
         * @description Walk-forward scores on bars the model never saw, against the naive forecasts.
         */
        get: operations["evaluation_api_v1_forecast__symbol__evaluation_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Models
         * @description The model registry: one entry per symbol and timeframe.
         */
        get: operations["models_api_v1_models_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/models/{symbol}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete Model
         * @description Remove a model from the registry.
         */
        delete: operations["delete_model_api_v1_models__symbol__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/retrain/check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Retrain Check
         * @description Apply the automatic-retraining policy now (the background loop does it every interval).
         */
        post: operations["retrain_check_api_v1_retrain_check_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Jobs
         * @description The service's recent jobs (training, fits), newest first, with their progress.
         */
        get: operations["list_jobs_api_v1_jobs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{job_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Job
         * @description One job: state, progress (percent, step, ETA, message), error.
         */
        get: operations["get_job_api_v1_jobs__job_id__get"];
        put?: never;
        post?: never;
        /**
         * Cancel Job
         * @description Cancel a job: a queued one never runs, a running one stops at its next progress
         *     report and saves nothing.
         */
        delete: operations["cancel_job_api_v1_jobs__job_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
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
        /** EvaluatedOn */
        EvaluatedOn: {
            /** Bars */
            bars: number | null;
            /** From */
            from: string | null;
            /** Until */
            until: string | null;
            /** Note */
            note: string;
        };
        /** Evaluation */
        Evaluation: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /** Model Version */
            model_version: string;
            /**
             * Trained At
             * Format: date-time
             */
            trained_at: string;
            evaluated_on: components["schemas"]["EvaluatedOn"];
            /**
             * Holdout
             * @description walk-forward scores at training time
             */
            holdout: {
                [key: string]: unknown;
            };
            /** Beats Naive */
            beats_naive: boolean | null;
            /** Verdict */
            verdict: string | null;
            /**
             * Served
             * @description what the forecasts serve
             */
            served?: ("naive" | "nhits" | "blend") | null;
            /** Served Reason */
            served_reason?: string | null;
            quality: components["schemas"]["ModelQuality"];
            /**
             * Rolling
             * @description the same scores on bars that arrived after training (null: too few yet)
             */
            rolling: {
                [key: string]: unknown;
            } | null;
        };
        /** Forecast */
        Forecast: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /**
             * Horizon
             * @description bars ahead
             */
            horizon: number;
            /**
             * Target
             * @description what is forecast (the close)
             */
            target: string;
            last_bar: components["schemas"]["LastBar"];
            /**
             * Timestamps
             * @description open times of the forecast bars
             */
            timestamps: string[];
            /** Median */
            median: number[];
            /** Intervals */
            intervals: components["schemas"]["Interval"][];
            model: components["schemas"]["ForecastModelInfo"];
            /**
             * Nhits Median
             * @description the network's own median path (what alpha scales)
             */
            nhits_median?: number[] | null;
            /** @description relative MAE vs naive on held-out origins */
            quality: components["schemas"]["ModelQuality"];
            /**
             * Provider
             * @description the market-data provider of the input bars
             */
            provider: string | null;
        };
        /** ForecastModelInfo */
        ForecastModelInfo: {
            /** Version */
            version: string;
            /**
             * Trained At
             * Format: date-time
             */
            trained_at: string;
            /** Age Seconds */
            age_seconds: number;
            /** Mode */
            mode: ("full" | "finetune") | null;
            /**
             * Data End
             * @description the newest bar it was trained on
             */
            data_end: string | null;
            /**
             * Beats Naive
             * @description the 95 % interval of its held-out relative MAE vs the naive (last close) forecast lies below 1 (null: not measured)
             */
            beats_naive: boolean | null;
            /**
             * Trained On Demand
             * @description a small model trained because a forecast found none (on demand or on the stack's first start), not a full training
             */
            trained_on_demand: boolean;
            /**
             * Served
             * @description what the median is: naive (the last close, when NHITS did not beat it on validation), nhits (the network's median) or blend (last close + alpha x its move)
             * @enum {string}
             */
            served: "naive" | "nhits" | "blend";
            /**
             * Alpha
             * @description share of the network's move in the median
             */
            alpha: number;
            /**
             * Served Reason
             * @description why it serves that, in words
             */
            served_reason: string;
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
        /** Interval */
        Interval: {
            /**
             * Level
             * @description coverage in percent (80, 95)
             */
            level: number;
            /** Lower */
            lower: number[];
            /** Upper */
            upper: number[];
            /**
             * Method
             * @description conformal (volatility-scaled, around the served median) or the volatility baseline (last close +/- z * sigma * sqrt(k)): the narrower calibrated one
             */
            method?: ("conformal" | "volatility") | null;
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
        /** JobList */
        JobList: {
            /** In Progress */
            in_progress: boolean;
            /**
             * Jobs
             * @description newest first
             */
            jobs: components["schemas"]["Job"][];
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
        /** LastBar */
        LastBar: {
            /**
             * Time
             * Format: date-time
             */
            time: string;
            /** Close */
            close: number;
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
        /** ModelEntry */
        ModelEntry: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /**
             * Status
             * @enum {string}
             */
            status: "ok" | "corrupt";
            /**
             * Error
             * @description why a corrupt model cannot load
             */
            error?: string | null;
            /** Version */
            version?: string | null;
            /** Trained At */
            trained_at?: string | null;
            /** Age Seconds */
            age_seconds?: number | null;
            /** Mode */
            mode?: ("full" | "finetune") | null;
            /** Horizon */
            horizon?: number | null;
            /** Input Size */
            input_size?: number | null;
            /** Data */
            data?: {
                [key: string]: unknown;
            } | null;
            /** Training */
            training?: {
                [key: string]: unknown;
            } | null;
            /** Calibration */
            calibration?: {
                [key: string]: unknown;
            } | null;
            /** Beats Naive */
            beats_naive?: boolean | null;
            /** Mase */
            mase?: number | null;
            /** Served */
            served?: ("naive" | "nhits" | "blend") | null;
            /** Relative Mae */
            relative_mae?: number | null;
        };
        /** ModelList */
        ModelList: {
            /** Items */
            items: components["schemas"]["ModelEntry"][];
            /** Count */
            count: number;
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
        /** RetrainCheck */
        RetrainCheck: {
            /** Decisions */
            decisions: components["schemas"]["RetrainDecision"][];
        };
        /** RetrainDecision */
        RetrainDecision: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /**
             * Action
             * @enum {string}
             */
            action: "busy" | "keep" | "retrain";
            /** Reason */
            reason?: string | null;
            /** Rolling Relative Mae */
            rolling_relative_mae?: number | null;
            /** Job Id */
            job_id?: string | null;
            /** @description how the retraining job ended */
            status?: components["schemas"]["JobState"] | null;
            /** Error */
            error?: string | null;
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
export type CpuMetrics = components['schemas']['CpuMetrics'];
export type EvaluatedOn = components['schemas']['EvaluatedOn'];
export type Evaluation = components['schemas']['Evaluation'];
export type Forecast = components['schemas']['Forecast'];
export type ForecastModelInfo = components['schemas']['ForecastModelInfo'];
export type GpuDevice = components['schemas']['GpuDevice'];
export type GpuMetrics = components['schemas']['GpuMetrics'];
export type Health = components['schemas']['Health'];
export type Interval = components['schemas']['Interval'];
export type Job = components['schemas']['Job'];
export type JobList = components['schemas']['JobList'];
export type JobProgress = components['schemas']['JobProgress'];
export type JobState = components['schemas']['JobState'];
export type LastBar = components['schemas']['LastBar'];
export type MemoryMetrics = components['schemas']['MemoryMetrics'];
export type ModelEntry = components['schemas']['ModelEntry'];
export type ModelList = components['schemas']['ModelList'];
export type ModelQuality = components['schemas']['ModelQuality'];
export type RetrainCheck = components['schemas']['RetrainCheck'];
export type RetrainDecision = components['schemas']['RetrainDecision'];
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
    train_api_v1_forecast__symbol__train_post: {
        parameters: {
            query?: {
                /** @description bar size: M5, M15, H1, H4 or D1 */
                timeframe?: components["schemas"]["Timeframe"];
                /** @description full: from scratch; finetune: a few steps on the newest bars */
                mode?: "full" | "finetune";
                max_steps?: number | null;
            };
            header?: never;
            path: {
                /** @description the symbol, e.g. BTCUSD (any case) */
                symbol: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`); No data (`urn:tradingstack:problem:no-data`); No data in range (`urn:tradingstack:problem:no-data-in-range`); Model not trained (`urn:tradingstack:problem:model-not-trained`) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict (`urn:tradingstack:problem:conflict`); Model corrupt (`urn:tradingstack:problem:model-corrupt`) */
            409: {
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
    forecast_api_v1_forecast__symbol__get: {
        parameters: {
            query?: {
                /** @description bar size: M5, M15, H1, H4 or D1 */
                timeframe?: components["schemas"]["Timeframe"];
                /** @description bars ahead (<= the model's) */
                horizon?: number | null;
            };
            header?: never;
            path: {
                /** @description the symbol, e.g. BTCUSD (any case) */
                symbol: string;
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
                    "application/json": components["schemas"]["Forecast"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`); No data (`urn:tradingstack:problem:no-data`); No data in range (`urn:tradingstack:problem:no-data-in-range`) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Model corrupt (`urn:tradingstack:problem:model-corrupt`) */
            409: {
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
            /** @description Upstream unavailable (`urn:tradingstack:problem:upstream-unavailable`); Model being prepared (`urn:tradingstack:problem:model-being-prepared`) */
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
    evaluation_api_v1_forecast__symbol__evaluation_get: {
        parameters: {
            query?: {
                /** @description bar size: M5, M15, H1, H4 or D1 */
                timeframe?: components["schemas"]["Timeframe"];
            };
            header?: never;
            path: {
                /** @description the symbol, e.g. BTCUSD (any case) */
                symbol: string;
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
                    "application/json": components["schemas"]["Evaluation"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`); No data (`urn:tradingstack:problem:no-data`); No data in range (`urn:tradingstack:problem:no-data-in-range`); Model not trained (`urn:tradingstack:problem:model-not-trained`) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Model corrupt (`urn:tradingstack:problem:model-corrupt`) */
            409: {
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
    models_api_v1_models_get: {
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
                    "application/json": components["schemas"]["ModelList"];
                };
            };
        };
    };
    delete_model_api_v1_models__symbol__delete: {
        parameters: {
            query?: {
                /** @description bar size: M5, M15, H1, H4 or D1 */
                timeframe?: components["schemas"]["Timeframe"];
            };
            header?: never;
            path: {
                /** @description the symbol, e.g. BTCUSD (any case) */
                symbol: string;
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
            /** @description Model not trained (`urn:tradingstack:problem:model-not-trained`) */
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
    retrain_check_api_v1_retrain_check_post: {
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
                    "application/json": components["schemas"]["RetrainCheck"];
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
        };
    };
    list_jobs_api_v1_jobs_get: {
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
                    "application/json": components["schemas"]["JobList"];
                };
            };
        };
    };
    get_job_api_v1_jobs__job_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
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
                    "application/json": components["schemas"]["Job"];
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
    cancel_job_api_v1_jobs__job_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
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
        };
    };
}
