// Generated from the hmm service's OpenAPI document by openapi-typescript (hack/ui_types.py).
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
    "/api/v1/regime/{symbol}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Regime
         * @description Current regime (forward-filtered), transition matrix, expected durations, history, from
         *     the saved model. Never waits for a fit: without a model, the job that fits one is started
         *     (or found) and the answer is a 503 `model-being-prepared` with that `job`; a model older
         *     than TS_HMM_REFIT_AFTER_SECONDS is answered (`model.stale`) while its refit runs.
         */
        get: operations["get_regime_api_v1_regime__symbol__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/regime/{symbol}/fit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Fit Regime
         * @description Start fitting a new HMM (202 with the job; the model replaces the saved one when it
         *     ends); 409 with the `job` while one is queued or running.
         */
        post: operations["fit_regime_api_v1_regime__symbol__fit_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/score": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Score
         * @description 0-100 score of a long or short signal now, and the features that drove it (SHAP).
         *     Never waits for a training: without a model, the job that trains the long and short
         *     models is started (or found) and the answer is a 503 `model-being-prepared` with that
         *     `job`; a model older than TS_HMM_SCORE_MAX_AGE_SECONDS is answered while it retrains.
         */
        post: operations["score_api_v1_score_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/scoring/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Scoring Models
         * @description Metadata (holdout AUC, split times, features) of the scoring models on disk.
         */
        get: operations["scoring_models_api_v1_scoring_models_get"];
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
        /** Contribution */
        Contribution: {
            /** Feature */
            feature: string;
            /** Value */
            value: number;
            /**
             * Contribution
             * @description SHAP value (log-odds) from LightGBM pred_contrib
             */
            contribution: number;
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
        /** Duration */
        Duration: {
            /**
             * Bars
             * @description 1 / (1 - p_ii); null when the regime never ends
             */
            bars: number | null;
            /** Seconds */
            seconds: number | null;
            /** Human */
            human: string;
        };
        /** Estimate */
        Estimate: {
            /** Value */
            value: number | null;
            /**
             * Ci Low
             * @description 95 % block-bootstrap interval
             */
            ci_low?: number | null;
            /** Ci High */
            ci_high?: number | null;
        };
        /** FoldInfo */
        FoldInfo: {
            /**
             * Train End
             * Format: date-time
             */
            train_end: string;
            /**
             * Test Start
             * Format: date-time
             */
            test_start: string;
            /**
             * Test End
             * Format: date-time
             */
            test_end: string;
            /** N Train */
            n_train: number;
            /** N Test */
            n_test: number;
            /** Best Iteration */
            best_iteration: number;
            /** Auc */
            auc: number | null;
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
         * Platt
         * @description P(y=1) = sigmoid(slope * logit(raw) + intercept).
         */
        Platt: {
            /** Slope */
            slope: number;
            /** Intercept */
            intercept: number;
        };
        /**
         * RegimeModel
         * @description A fitted HMM, stored as JSON (plain numbers, no pickle).
         */
        RegimeModel: {
            /** Startprob */
            startprob: number[];
            /** Transmat */
            transmat: number[][];
            /**
             * Means
             * @description per state, standardised EMISSIONS
             */
            means: number[][];
            /**
             * Covars
             * @description per state, full covariance
             */
            covars: number[][][];
            /**
             * Feature Mean
             * @description of the EMISSIONS on the training bars
             */
            feature_mean: number[];
            /** Feature Std */
            feature_std: number[];
            /**
             * Vol Floor
             * @description realised volatility floor before its log
             */
            vol_floor: number;
            /**
             * State Return Mean
             * @description per state, log return mean on the training bars (filtered weights)
             */
            state_return_mean: number[];
            /** State Return Var */
            state_return_var: number[];
            /**
             * Clip
             * @description standardised features clipped to +-clip
             */
            clip?: number;
            /**
             * State Regimes
             * @description state index -> regime name
             */
            state_regimes: string[];
            /** Log Likelihood */
            log_likelihood: number;
            /**
             * Converged
             * @description EM stopped on `tol` before the iteration cap
             */
            converged: boolean;
            /** Iterations */
            iterations: number;
            /** Restarts */
            restarts: number;
            /** Converged Restarts */
            converged_restarts: number;
            /**
             * State Shares
             * @description share of the training bars per state (filtered)
             */
            state_shares?: number[];
            /**
             * Degenerate
             * @description a state holds too few bars
             * @default false
             */
            degenerate: boolean;
            /**
             * Matched To Previous
             * @description state names inherited from the previous model
             * @default false
             */
            matched_to_previous: boolean;
            /**
             * Refit Agreement
             * @description share of the bars both models were fitted on where the previous and this model name the same regime (null: first fit)
             */
            refit_agreement?: number | null;
            /**
             * Shared Bars
             * @default 0
             */
            shared_bars: number;
            quality?: components["schemas"]["ModelQuality"] | null;
            /** N Obs */
            n_obs: number;
            /** Vol Window */
            vol_window: number;
            /** Ma Window */
            ma_window: number;
            /**
             * Fitted At
             * Format: date-time
             */
            fitted_at: string;
            /** Train Start */
            train_start?: string | null;
            /** Train End */
            train_end?: string | null;
            /**
             * Fit Seconds
             * @default 0
             */
            fit_seconds: number;
            /** Extra */
            extra?: {
                [key: string]: unknown;
            };
        };
        /** RegimeModelInfo */
        RegimeModelInfo: {
            /**
             * Fitted At
             * Format: date-time
             */
            fitted_at: string;
            /** Converged */
            converged: boolean;
            /** Log Likelihood */
            log_likelihood: number;
            /** Iterations */
            iterations: number;
            /** Restarts */
            restarts: number;
            /** Converged Restarts */
            converged_restarts: number;
            /** N Obs */
            n_obs: number;
            /** Train Start */
            train_start: string | null;
            /** Train End */
            train_end: string | null;
            /** Fit Seconds */
            fit_seconds: number;
            /**
             * Refit Agreement
             * @description when this model replaced another: the share of the bars both were fitted on where the two name the same regime (states matched, so names are stable)
             */
            refit_agreement?: number | null;
            /**
             * Matched To Previous
             * @description the state names were carried over from the previous model
             * @default false
             */
            matched_to_previous: boolean;
            /**
             * Degenerate
             * @description a state holds under 3 % of the bars (no better fit found)
             * @default false
             */
            degenerate: boolean;
            /**
             * Refitted
             * @description fitted for this request: always false now (fits are background jobs, GET /api/v1/jobs); kept for clients that read it
             */
            refitted: boolean;
            /**
             * Stale
             * @description older than the refit age (TS_HMM_REFIT_AFTER_SECONDS): POST .../fit fits a new one
             */
            stale: boolean;
        };
        /** RegimeResult */
        RegimeResult: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /**
             * As Of
             * Format: date-time
             * @description time of the newest bar
             */
            as_of: string;
            /** Current Regime */
            current_regime: string;
            /**
             * Probabilities
             * @description filtered (no look-ahead), sum 1
             */
            probabilities: {
                [key: string]: number;
            };
            /**
             * Transition Matrix
             * @description from -> to, per bar
             */
            transition_matrix: {
                [key: string]: {
                    [key: string]: number;
                };
            };
            /** Expected Duration */
            expected_duration: {
                [key: string]: components["schemas"]["Duration"];
            };
            /** State Means */
            state_means: {
                [key: string]: {
                    [key: string]: number;
                };
            };
            /**
             * History
             * @description newest last; from the filtered regimes
             */
            history: components["schemas"]["Segment"][];
            model: components["schemas"]["RegimeModelInfo"];
            /** @description on the last 20 % of the bars, by a model fitted on the rest: the one-step log score of the next bar's return under the regime forecast minus that under one Gaussian (nats/bar, baseline 0). Chosen because it is what regimes can honestly claim (how widely the next return is spread, not its direction); the likelihood of the smoothed features themselves would favour any HMM, and refit agreement (model.refit_agreement) measures stability, not value */
            quality: components["schemas"]["ModelQuality"];
        };
        /**
         * ScoreMetrics
         * @description Out-of-fold metrics of a probability score, with 95 % intervals.
         */
        ScoreMetrics: {
            /** @description ROC AUC; 0.5 is no skill */
            auc: components["schemas"]["Estimate"];
            /** @description Pearson correlation of the score with the forward return */
            ic: components["schemas"]["Estimate"];
            /** @description Spearman correlation with the forward return */
            rank_ic: components["schemas"]["Estimate"];
            /** @description 1 - Brier / Brier of the training base rate (calibrated; 0 is no skill) */
            brier_skill: components["schemas"]["Estimate"];
            /** @description expected calibration error, 10 equal-count bins (calibrated) */
            calibration_error: components["schemas"]["Estimate"];
            /**
             * Base Rate
             * @description share of positive labels on the evaluated rows
             */
            base_rate: number;
            /**
             * N
             * @description out-of-fold rows evaluated
             */
            n: number;
            /**
             * Calibrated N
             * @description rows with a walk-forward calibrated probability
             */
            calibrated_n: number;
            /** Bootstrap Block */
            bootstrap_block: number;
            /** Bootstrap Resamples */
            bootstrap_resamples: number;
        };
        /** ScoreRequest */
        ScoreRequest: {
            /** Symbol */
            symbol: string;
            /** @default H1 */
            timeframe: components["schemas"]["Timeframe"];
            /**
             * Direction
             * @enum {string}
             */
            direction: "long" | "short";
        };
        /** ScoreResult */
        ScoreResult: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /**
             * Direction
             * @enum {string}
             */
            direction: "long" | "short";
            /**
             * Score
             * @description 100 x the calibrated probability; without an edge it sits near 100 x the base rate
             */
            score: number;
            /**
             * Probability
             * @description calibrated (Platt, on out-of-fold predictions)
             */
            probability: number;
            /**
             * Raw Probability
             * @description the booster's own output
             */
            raw_probability?: number | null;
            /**
             * As Of
             * Format: date-time
             */
            as_of: string;
            /** Horizon Bars */
            horizon_bars: number;
            /**
             * Threshold
             * @description forward log-return a label needs to beat
             */
            threshold: number;
            /** Top Features */
            top_features: components["schemas"]["Contribution"][];
            /**
             * Bias
             * @description the SHAP base value (log-odds)
             */
            bias: number;
            model: components["schemas"]["ScoringModelInfo"];
            /** @description out-of-fold ROC AUC with its 95 % interval (baseline 0.5): has_edge only when the whole interval lies above 0.5 */
            quality: components["schemas"]["ModelQuality"];
            /**
             * Summary
             * @description for people, e.g. 'long 31/100 (base rate 30/100): not a signal, no demonstrated edge: out-of-fold AUC 0.52 (95 % CI 0.47-0.57) includes 0.5 (chance)'
             */
            summary: string;
        };
        /** ScoringMeta */
        ScoringMeta: {
            /** Symbol */
            symbol: string;
            /** Timeframe */
            timeframe: string;
            /**
             * Direction
             * @enum {string}
             */
            direction: "long" | "short";
            /**
             * Trained At
             * Format: date-time
             */
            trained_at: string;
            /** Features */
            features: string[];
            /** Horizon Bars */
            horizon_bars: number;
            /**
             * Threshold
             * @description log-return threshold of a positive label
             */
            threshold: number;
            /**
             * Train Start
             * Format: date-time
             */
            train_start: string;
            /**
             * Train End
             * Format: date-time
             */
            train_end: string;
            /**
             * Valid Start
             * Format: date-time
             * @description first out-of-fold bar
             */
            valid_start: string;
            /**
             * Valid End
             * Format: date-time
             * @description last out-of-fold bar
             */
            valid_end: string;
            /**
             * N Train
             * @description rows the served model trained on
             */
            n_train: number;
            /**
             * N Valid
             * @description out-of-fold rows evaluated
             */
            n_valid: number;
            /** Base Rate Train */
            base_rate_train: number;
            /** Base Rate Valid */
            base_rate_valid: number;
            /**
             * Auc Valid
             * @description out-of-fold ROC AUC (None: one class)
             */
            auc_valid: number | null;
            /**
             * Boost Rounds
             * @description rounds of the served model (median early stop)
             */
            boost_rounds: number;
            /** Folds */
            folds: components["schemas"]["FoldInfo"][];
            /** Embargo Bars */
            embargo_bars: number;
            calibration: components["schemas"]["Platt"];
            metrics: components["schemas"]["ScoreMetrics"];
            quality: components["schemas"]["ModelQuality"];
            /** Params */
            params: {
                [key: string]: unknown;
            };
            regime_model: components["schemas"]["RegimeModel"];
            /** Train Seconds */
            train_seconds: number;
            /** Lightgbm Version */
            lightgbm_version?: string;
        };
        /** ScoringModelInfo */
        ScoringModelInfo: {
            /**
             * Trained At
             * Format: date-time
             */
            trained_at: string;
            /**
             * Auc Valid
             * @description out-of-fold ROC AUC
             */
            auc_valid: number | null;
            /** Base Rate Valid */
            base_rate_valid: number;
            /** N Train */
            n_train: number;
            /** N Valid */
            n_valid: number;
            /**
             * Train Start
             * Format: date-time
             */
            train_start: string;
            /**
             * Train End
             * Format: date-time
             */
            train_end: string;
            /**
             * Valid Start
             * Format: date-time
             */
            valid_start: string;
            /**
             * Valid End
             * Format: date-time
             */
            valid_end: string;
            /**
             * Retrained
             * @description trained for this request: always false now (training is a background job, GET /api/v1/jobs); kept for clients that read it
             */
            retrained: boolean;
            /**
             * Folds
             * @description purged, embargoed walk-forward folds
             * @default 0
             */
            folds: number;
            /** @description out-of-fold AUC, IC, rank IC, Brier skill, calibration error */
            metrics?: components["schemas"]["ScoreMetrics"] | null;
        };
        /** ScoringModelList */
        ScoringModelList: {
            /** Models */
            models: components["schemas"]["ScoringMeta"][];
        };
        /** Segment */
        Segment: {
            /**
             * Start
             * Format: date-time
             */
            start: string;
            /**
             * End
             * Format: date-time
             */
            end: string;
            /** Regime */
            regime: string;
            /** Bars */
            bars: number;
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
export type Contribution = components['schemas']['Contribution'];
export type CpuMetrics = components['schemas']['CpuMetrics'];
export type Duration = components['schemas']['Duration'];
export type Estimate = components['schemas']['Estimate'];
export type FoldInfo = components['schemas']['FoldInfo'];
export type GpuDevice = components['schemas']['GpuDevice'];
export type GpuMetrics = components['schemas']['GpuMetrics'];
export type Health = components['schemas']['Health'];
export type Job = components['schemas']['Job'];
export type JobList = components['schemas']['JobList'];
export type JobProgress = components['schemas']['JobProgress'];
export type JobState = components['schemas']['JobState'];
export type MemoryMetrics = components['schemas']['MemoryMetrics'];
export type ModelQuality = components['schemas']['ModelQuality'];
export type Platt = components['schemas']['Platt'];
export type RegimeModel = components['schemas']['RegimeModel'];
export type RegimeModelInfo = components['schemas']['RegimeModelInfo'];
export type RegimeResult = components['schemas']['RegimeResult'];
export type ScoreMetrics = components['schemas']['ScoreMetrics'];
export type ScoreRequest = components['schemas']['ScoreRequest'];
export type ScoreResult = components['schemas']['ScoreResult'];
export type ScoringMeta = components['schemas']['ScoringMeta'];
export type ScoringModelInfo = components['schemas']['ScoringModelInfo'];
export type ScoringModelList = components['schemas']['ScoringModelList'];
export type Segment = components['schemas']['Segment'];
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
    get_regime_api_v1_regime__symbol__get: {
        parameters: {
            query?: {
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
                    "application/json": components["schemas"]["RegimeResult"];
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
    fit_regime_api_v1_regime__symbol__fit_post: {
        parameters: {
            query?: {
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`); No data (`urn:tradingstack:problem:no-data`); No data in range (`urn:tradingstack:problem:no-data-in-range`) */
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
    score_api_v1_score_post: {
        parameters: {
            query?: {
                /** @description start retraining the scoring models (a job); the answer is the 503 `model-being-prepared` with it */
                retrain?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ScoreRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScoreResult"];
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
    scoring_models_api_v1_scoring_models_get: {
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
                    "application/json": components["schemas"]["ScoringModelList"];
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
