// Generated from the tcn service's OpenAPI document by openapi-typescript (hack/ui_types.py).
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
    "/api/v1/patterns": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Patterns
         * @description The 16 pattern types this service detects, each with a one-line description.
         */
        get: operations["list_patterns_api_v1_patterns_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/detect/{symbol}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Detect Patterns
         * @description Patterns in the newest bars: type, calibrated confidence, first and last bar (after
         *     NMS), only patterns that beat chance (see `model.patterns` for each one's lift), and the
         *     model's measured `quality`. Without a model, the job that trains a small one is started
         *     (or found) and the answer is a 503 `model-being-prepared` with that `job`.
         */
        get: operations["detect_patterns_api_v1_detect__symbol__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/scan": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Scan
         * @description Detect patterns for every symbol x timeframe; failures are reported per item.
         */
        post: operations["scan_api_v1_scan_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/train": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start Training
         * @description Train a new model in the background (202 with the job; follow it at GET
         *     /api/v1/jobs/{id}); one training at a time: 409 with the queued or running `job`.
         */
        post: operations["start_training_api_v1_train_post"];
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
         * @description The loaded model's metadata: architecture, training data and validation metrics.
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
        /**
         * Calibration
         * @description The calibrated rules: thresholds and each pattern's test (saved with the model).
         */
        Calibration: {
            /** Target */
            target: number;
            /**
             * Windows Per Kind
             * @description surrogate windows per kind (fit)
             */
            windows_per_kind: {
                [key: string]: number;
            };
            /** Patterns */
            patterns: components["schemas"]["PatternCalibration"][];
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
        /** DetectResult */
        DetectResult: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /** Min Confidence */
            min_confidence: number;
            /** Bars Scanned */
            bars_scanned: number;
            /** First Bar */
            first_bar: string | null;
            /** Last Bar */
            last_bar: string | null;
            /** Windows Scanned */
            windows_scanned: number;
            /**
             * Candidates
             * @description windows above the threshold before NMS
             */
            candidates: number;
            /**
             * Unvalidated
             * @description candidate windows of patterns that do not beat chance (left out unless include_unvalidated=true)
             * @default 0
             */
            unvalidated: number;
            /** Detections */
            detections: components["schemas"]["DetectionOut"][];
            model: components["schemas"]["ModelInfo"];
            /** @description macro-F1 of the served patterns on held-out real windows, with its 95 % interval and the no-skill macro-F1 */
            quality: components["schemas"]["ModelQuality"];
            /** Data Provider */
            data_provider?: string | null;
            /**
             * Data Stale
             * @default false
             */
            data_stale: boolean;
        };
        /** DetectionOut */
        DetectionOut: {
            /** Pattern */
            pattern: string;
            /** Description */
            description: string;
            /**
             * Confidence
             * @description the window's calibrated class probability, 0-1
             */
            confidence: number;
            /**
             * Start Time
             * Format: date-time
             * @description open time of the first bar of the pattern, UTC
             */
            start_time: string;
            /**
             * End Time
             * Format: date-time
             * @description open time of the last bar of the pattern, UTC
             */
            end_time: string;
            /** Bars */
            bars: number;
            /**
             * Beats Chance
             * @description the pattern's calibrated rule hits real data more often than surrogates (false only with include_unvalidated=true)
             * @default true
             */
            beats_chance: boolean;
            /**
             * Lift
             * @description the pattern's hit rate on real data / on surrogates
             */
            lift?: number | null;
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
        /** ModelInfo */
        ModelInfo: {
            /**
             * Trained At
             * Format: date-time
             */
            trained_at: string;
            /** Age Seconds */
            age_seconds: number;
            /** Device */
            device: string;
            /**
             * Real Macro F1
             * @description macro-F1 on held-out real windows over all 16 rule classes + none
             */
            real_macro_f1?: number | null;
            /**
             * Served Patterns
             * @description the patterns that beat chance (served)
             */
            served_patterns?: string[];
            /**
             * Patterns
             * @description per-pattern lift over surrogates
             */
            patterns?: components["schemas"]["PatternLift"][];
        };
        /** ModelMeta */
        ModelMeta: {
            /**
             * Format Version
             * @default 2
             */
            format_version: number;
            /**
             * Trained At
             * Format: date-time
             */
            trained_at: string;
            config: components["schemas"]["TCNConfig"];
            /** Weights Sha256 */
            weights_sha256: string;
            /** Device */
            device: string;
            /** Duration Seconds */
            duration_seconds: number;
            /** Torch Version */
            torch_version?: string;
            /**
             * Temperature
             * @description divides the logits
             * @default 1
             */
            temperature: number;
            /**
             * Logit Bias
             * @description added to the logits before the temperature (label shift)
             */
            logit_bias?: number[] | null;
            /** @description the calibrated rules the network was distilled from */
            calibration?: components["schemas"]["Calibration"] | null;
            /** @description served macro-F1 on held-out real windows */
            quality?: components["schemas"]["ModelQuality"] | null;
            /**
             * Training
             * @description settings and data used
             */
            training?: {
                [key: string]: unknown;
            };
            /**
             * Metrics
             * @description validation metrics
             */
            metrics?: {
                [key: string]: unknown;
            };
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
        /**
         * PatternCalibration
         * @description One pattern's calibrated rule and its test against chance.
         */
        PatternCalibration: {
            /** Pattern */
            pattern: string;
            /**
             * Threshold
             * @description minimum rule score of a hit (null: never)
             */
            threshold: number | null;
            /**
             * False Hit Rate
             * @description hits per window on fresh surrogates (worst kind)
             */
            false_hit_rate: number;
            /** False Hit By Kind */
            false_hit_by_kind: {
                [key: string]: number;
            };
            /**
             * Real Hits
             * @description hit events in the real windows (a run of neighbouring windows hit by the pattern is one event)
             */
            real_hits: number;
            /** Real Windows */
            real_windows: number;
            /**
             * Real Rate
             * @description hit events per real window
             */
            real_rate: number;
            /**
             * Null Rate
             * @description hit events per surrogate window (worst kind)
             */
            null_rate: number;
            /**
             * Lift
             * @description real rate / null rate
             */
            lift: number | null;
            /** P Value */
            p_value: number;
            /**
             * Q Value
             * @description Benjamini-Hochberg adjusted p-value over the patterns
             */
            q_value: number;
            /** Served */
            served: boolean;
            /** Reason */
            reason: string;
        };
        /** PatternInfo */
        PatternInfo: {
            /** Name */
            name: string;
            /** Description */
            description: string;
        };
        /**
         * PatternLift
         * @description One pattern's calibrated rule against chance (measured at training).
         */
        PatternLift: {
            /** Pattern */
            pattern: string;
            /**
             * Served
             * @description beat chance: lift >= 1.5 and BH q < 0.05
             */
            served: boolean;
            /**
             * Lift
             * @description hit rate on real windows / on surrogates
             */
            lift: number | null;
            /**
             * Real Rate
             * @description hits per real window (training part)
             */
            real_rate: number;
            /**
             * Null Rate
             * @description hits per surrogate window (worst kind)
             */
            null_rate: number;
            /**
             * False Hit Rate
             * @description hits per fresh surrogate window (worst kind)
             */
            false_hit_rate: number;
            /**
             * Q Value
             * @description Benjamini-Hochberg adjusted binomial p-value
             */
            q_value: number;
            /** Reason */
            reason: string;
        };
        /** PatternList */
        PatternList: {
            /** Count */
            count: number;
            /** Patterns */
            patterns: components["schemas"]["PatternInfo"][];
        };
        /** RealSource */
        RealSource: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
        };
        /** ScanItem */
        ScanItem: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /** Ok */
            ok: boolean;
            /** Error */
            error?: string | null;
            /**
             * Status
             * @description HTTP status the error would have
             */
            status?: number | null;
            /**
             * Type
             * @description the problem type the error would have (docs/problems.md): branch on it
             */
            type?: string | null;
            result?: components["schemas"]["DetectResult"] | null;
        };
        /** ScanRequest */
        ScanRequest: {
            /**
             * Symbols
             * @description at least one symbol
             */
            symbols: string[];
            /** Timeframes */
            timeframes?: components["schemas"]["Timeframe"][];
            /**
             * Min Confidence
             * @default 0.6
             */
            min_confidence: number;
            /** Bars */
            bars?: number | null;
        };
        /** ScanResult */
        ScanResult: {
            /** Items */
            items: components["schemas"]["ScanItem"][];
            /** Detections */
            detections: number;
        };
        /** SystemMetrics */
        SystemMetrics: {
            cpu: components["schemas"]["CpuMetrics"];
            memory: components["schemas"]["MemoryMetrics"];
            gpu: components["schemas"]["GpuMetrics"];
        };
        /**
         * TCNConfig
         * @description The architecture; saved with the weights so a model loads without guessing.
         */
        TCNConfig: {
            /**
             * In Channels
             * @default 6
             */
            in_channels: number;
            /**
             * Channels
             * @default 32
             */
            channels: number;
            /**
             * Levels
             * @default 5
             */
            levels: number;
            /**
             * Kernel Size
             * @default 3
             */
            kernel_size: number;
            /**
             * Dropout
             * @default 0.1
             */
            dropout: number;
            /**
             * Window Length
             * @default 64
             */
            window_length: number;
            /** Classes */
            classes?: string[];
        };
        /**
         * Timeframe
         * @description A bar size. Values are the API spelling (`?timeframe=H1`).
         * @enum {string}
         */
        Timeframe: "M5" | "M15" | "H1" | "H4" | "D1";
        /**
         * TrainConfig
         * @description How to train (the body of POST /api/v1/train; every field optional). Unknown keys are
         *     refused: a misspelt one would otherwise start a full training with the defaults.
         */
        TrainConfig: {
            /**
             * Synthetic Per Class
             * @default 400
             */
            synthetic_per_class: number;
            /**
             * Synthetic None
             * @description synthetic 'none' windows; default 2x per class
             */
            synthetic_none?: number | null;
            /**
             * Synthetic Max Tries
             * @description planted windows drawn per window still wanted after the surrogates
             * @default 3
             */
            synthetic_max_tries: number;
            /**
             * Strength Range
             * @description planted drift per bar, in bar-sigmas
             * @default [
             *       0.15,
             *       0.4
             *     ]
             */
            strength_range: [
                number,
                number
            ];
            /** Real Sources */
            real_sources?: components["schemas"]["RealSource"][];
            /**
             * Real Bars
             * @description newest bars per source
             * @default 5000
             */
            real_bars: number;
            /**
             * Real Weight
             * @description loss weight of a rule-labelled real window (synthetic: 1)
             * @default 1
             */
            real_weight: number;
            /**
             * Val Fraction
             * @default 0.1
             */
            val_fraction: number;
            /**
             * Test Fraction
             * @default 0.2
             */
            test_fraction: number;
            /**
             * Calibration Target
             * @description hits per surrogate window allowed per pattern
             * @default 0.0075
             */
            calibration_target: number;
            /**
             * Surrogate Paths
             * @description surrogate paths per series and kind (fit and check)
             * @default 6
             */
            surrogate_paths: number;
            /**
             * Epochs
             * @default 20
             */
            epochs: number;
            /**
             * Patience
             * @default 4
             */
            patience: number;
            /**
             * Batch Size
             * @default 64
             */
            batch_size: number;
            /**
             * Learning Rate
             * @default 0.004
             */
            learning_rate: number;
            /**
             * Weight Decay
             * @default 0.0001
             */
            weight_decay: number;
            /**
             * Channels
             * @default 32
             */
            channels: number;
            /**
             * Levels
             * @default 5
             */
            levels: number;
            /**
             * Kernel Size
             * @default 3
             */
            kernel_size: number;
            /**
             * Dropout
             * @default 0.1
             */
            dropout: number;
            /**
             * Window Length
             * @default 64
             */
            window_length: number;
            /**
             * Seed
             * @default 0
             */
            seed: number;
            /**
             * Device
             * @default auto
             */
            device: string;
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
export type Calibration = components['schemas']['Calibration'];
export type CpuMetrics = components['schemas']['CpuMetrics'];
export type DetectResult = components['schemas']['DetectResult'];
export type DetectionOut = components['schemas']['DetectionOut'];
export type GpuDevice = components['schemas']['GpuDevice'];
export type GpuMetrics = components['schemas']['GpuMetrics'];
export type Health = components['schemas']['Health'];
export type Job = components['schemas']['Job'];
export type JobList = components['schemas']['JobList'];
export type JobProgress = components['schemas']['JobProgress'];
export type JobState = components['schemas']['JobState'];
export type MemoryMetrics = components['schemas']['MemoryMetrics'];
export type ModelInfo = components['schemas']['ModelInfo'];
export type ModelMeta = components['schemas']['ModelMeta'];
export type ModelQuality = components['schemas']['ModelQuality'];
export type PatternCalibration = components['schemas']['PatternCalibration'];
export type PatternInfo = components['schemas']['PatternInfo'];
export type PatternLift = components['schemas']['PatternLift'];
export type PatternList = components['schemas']['PatternList'];
export type RealSource = components['schemas']['RealSource'];
export type ScanItem = components['schemas']['ScanItem'];
export type ScanRequest = components['schemas']['ScanRequest'];
export type ScanResult = components['schemas']['ScanResult'];
export type SystemMetrics = components['schemas']['SystemMetrics'];
export type TcnConfig = components['schemas']['TCNConfig'];
export type Timeframe = components['schemas']['Timeframe'];
export type TrainConfig = components['schemas']['TrainConfig'];
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
    list_patterns_api_v1_patterns_get: {
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
                    "application/json": components["schemas"]["PatternList"];
                };
            };
        };
    };
    detect_patterns_api_v1_detect__symbol__get: {
        parameters: {
            query?: {
                timeframe?: components["schemas"]["Timeframe"];
                /** @description confidence threshold */
                min_confidence?: number;
                /** @description newest N bars to scan */
                bars?: number | null;
                /** @description also answer patterns that did not beat chance at calibration, flagged beats_chance=false */
                include_unvalidated?: boolean;
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
                    "application/json": components["schemas"]["DetectResult"];
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
    scan_api_v1_scan_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ScanRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScanResult"];
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
            /** @description Model corrupt (`urn:tradingstack:problem:model-corrupt`) */
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
    start_training_api_v1_train_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["TrainConfig"] | null;
            };
        };
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
                    "application/json": components["schemas"]["ModelMeta"];
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
            /** @description Model corrupt (`urn:tradingstack:problem:model-corrupt`) */
            409: {
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
