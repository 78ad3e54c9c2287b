// Generated from the data service's OpenAPI document by openapi-typescript (hack/ui_types.py).
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
    "/api/v1/symbols": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Symbols */
        get: operations["list_symbols_api_v1_symbols_get"];
        put?: never;
        /** Create Symbol */
        post: operations["create_symbol_api_v1_symbols_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/symbols/{symbol}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Symbol */
        get: operations["get_symbol_api_v1_symbols__symbol__get"];
        /** Replace Symbol */
        put: operations["replace_symbol_api_v1_symbols__symbol__put"];
        post?: never;
        /** Delete Symbol */
        delete: operations["delete_symbol_api_v1_symbols__symbol__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/symbols/{symbol}/timeframes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Symbol Timeframes
         * @description The timeframes a symbol has data for: stored bars (cached or imported), the embedded
         *     data (and what it resamples), and the configured online providers of its order.
         */
        get: operations["symbol_timeframes_api_v1_symbols__symbol__timeframes_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/symbols/{symbol}/favourite": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Add Favourite */
        put: operations["add_favourite_api_v1_symbols__symbol__favourite_put"];
        post?: never;
        /** Remove Favourite */
        delete: operations["remove_favourite_api_v1_symbols__symbol__favourite_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/strategies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Strategies */
        get: operations["list_strategies_api_v1_strategies_get"];
        put?: never;
        /** Create Strategy */
        post: operations["create_strategy_api_v1_strategies_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/strategies/{sid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Strategy */
        get: operations["get_strategy_api_v1_strategies__sid__get"];
        /** Replace Strategy */
        put: operations["replace_strategy_api_v1_strategies__sid__put"];
        post?: never;
        /** Delete Strategy */
        delete: operations["delete_strategy_api_v1_strategies__sid__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/ohlcv/{symbol}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Ohlcv
         * @description Bars for a symbol; says which provider served them, how fresh, and whether stale.
         */
        get: operations["get_ohlcv_api_v1_ohlcv__symbol__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/ohlcv/{symbol}/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import Ohlcv
         * @description Import bars from CSV (multipart field `file`, or a text/csv body). All or nothing.
         */
        post: operations["import_ohlcv_api_v1_ohlcv__symbol__import_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/indicators": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Indicators
         * @description Every indicator this service computes (with TA-Lib), its parameters and outputs.
         */
        get: operations["list_indicators_api_v1_indicators_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/indicators/{symbol}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Indicators */
        get: operations["get_indicators_api_v1_indicators__symbol__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Providers
         * @description Configured providers, the default fallback order, and each circuit breaker's state.
         */
        get: operations["providers_api_v1_providers_get"];
        put?: never;
        post?: never;
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
        /** Bar */
        Bar: {
            /**
             * Time
             * Format: date-time
             * @description bar open time, UTC
             */
            time: string;
            /** Open */
            open: number;
            /** High */
            high: number;
            /** Low */
            low: number;
            /** Close */
            close: number;
            /** Volume */
            volume: number;
        };
        /** Body_import_ohlcv_api_v1_ohlcv__symbol__import_post */
        Body_import_ohlcv_api_v1_ohlcv__symbol__import_post: {
            /** File */
            file?: string | null;
        };
        /**
         * Category
         * @enum {string}
         */
        Category: "forex" | "crypto" | "stock" | "index" | "commodity" | "etf";
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
        /** ImportResult */
        ImportResult: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /** Rows */
            rows: number;
            /**
             * First
             * Format: date-time
             */
            first: string;
            /**
             * Last
             * Format: date-time
             */
            last: string;
            /**
             * Replaced
             * @description bars that existed already and were overwritten
             */
            replaced: number;
        };
        /**
         * IndicatorInfo
         * @description An indicator the data service computes (`GET /api/v1/indicators`).
         */
        IndicatorInfo: {
            /** Name */
            name: string;
            /** Description */
            description: string;
            /**
             * Params
             * @description each parameter and its default
             */
            params: {
                [key: string]: number;
            };
            /**
             * Columns
             * @description the value columns it answers
             */
            columns: string[];
        };
        /** IndicatorSeries */
        IndicatorSeries: {
            /** Name */
            name: string;
            /** Columns */
            columns: string[];
            /** Params */
            params: {
                [key: string]: number;
            };
        };
        /** Indicators */
        Indicators: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /** Provider */
            provider: string;
            /** Stale */
            stale: boolean;
            /** Indicators */
            indicators: components["schemas"]["IndicatorSeries"][];
            /** Times */
            times: string[];
            /**
             * Values
             * @description column name -> values aligned with `times` (null during warm-up)
             */
            values: {
                [key: string]: (number | null)[];
            };
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
        /** OHLCV */
        OHLCV: {
            /** Symbol */
            symbol: string;
            timeframe: components["schemas"]["Timeframe"];
            /**
             * Provider
             * @description which provider served the bars (or 'cache', 'import')
             */
            provider: string;
            /**
             * Fetched At
             * Format: date-time
             * @description when the provider served them
             */
            fetched_at: string;
            /**
             * Age Seconds
             * @description seconds since the newest bar closed
             */
            age_seconds: number;
            /**
             * Stale
             * @description true when served from cache because every provider failed
             */
            stale: boolean;
            /**
             * Cache Hit
             * @description true when fresh cached bars answered without asking providers
             * @default false
             */
            cache_hit: boolean;
            resampled_from?: components["schemas"]["Timeframe"] | null;
            /** Warnings */
            warnings?: string[];
            /** Bars */
            bars: components["schemas"]["Bar"][];
        };
        /**
         * ProviderStatus
         * @description A market-data provider and its circuit breaker (`GET /api/v1/providers`).
         */
        ProviderStatus: {
            /** Name */
            name: string;
            /**
             * State
             * @description its circuit breaker's state; null for one without (the embedded data)
             */
            state: ("closed" | "open" | "half-open") | null;
            /**
             * Last Error
             * @description unknown symbols and timeframes do not count
             */
            last_error: string | null;
            /** Last Error At */
            last_error_at: string | null;
            /** Last Success At */
            last_success_at: string | null;
            /** In Default Order */
            in_default_order: boolean;
            /**
             * Default Order Position
             * @description its place in the fallback order (0 first)
             */
            default_order_position?: number | null;
        };
        /**
         * RiskLevel
         * @enum {string}
         */
        RiskLevel: "low" | "medium" | "high";
        /** StrategyIn */
        StrategyIn: {
            /**
             * Id
             * @description slug, e.g. trend-following-h4
             */
            id: string;
            /** Name */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            type: components["schemas"]["StrategyType"];
            risk_level: components["schemas"]["RiskLevel"];
            /**
             * Indicator Weights
             * @description weight of each indicator in the signal, each 0-1, summing to 1 (±0.01)
             */
            indicator_weights: {
                [key: string]: number;
            };
            /**
             * Thresholds
             * @description e.g. {"rsi_overbought": 70, "rsi_oversold": 30}
             */
            thresholds?: {
                [key: string]: number;
            };
            /**
             * Sl Atr Multiplier
             * @description stop loss distance in ATRs
             */
            sl_atr_multiplier: number;
            /**
             * Tp Atr Multipliers
             * @description take-profit distances in ATRs, ascending
             */
            tp_atr_multipliers: number[];
            preferred_timeframe: components["schemas"]["Timeframe"];
        };
        /** StrategyOut */
        StrategyOut: {
            /**
             * Id
             * @description slug, e.g. trend-following-h4
             */
            id: string;
            /** Name */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            type: components["schemas"]["StrategyType"];
            risk_level: components["schemas"]["RiskLevel"];
            /**
             * Indicator Weights
             * @description weight of each indicator in the signal, each 0-1, summing to 1 (±0.01)
             */
            indicator_weights: {
                [key: string]: number;
            };
            /**
             * Thresholds
             * @description e.g. {"rsi_overbought": 70, "rsi_oversold": 30}
             */
            thresholds?: {
                [key: string]: number;
            };
            /**
             * Sl Atr Multiplier
             * @description stop loss distance in ATRs
             */
            sl_atr_multiplier: number;
            /**
             * Tp Atr Multipliers
             * @description take-profit distances in ATRs, ascending
             */
            tp_atr_multipliers: number[];
            preferred_timeframe: components["schemas"]["Timeframe"];
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
        };
        /**
         * StrategyType
         * @enum {string}
         */
        StrategyType: "trend_following" | "mean_reversion" | "breakout" | "momentum" | "swing" | "scalping";
        /**
         * SymbolIn
         * @description A symbol to create or replace.
         */
        SymbolIn: {
            /**
             * Symbol
             * @description canonical name, e.g. EURUSD, BTCUSD, NVDA
             */
            symbol: string;
            /**
             * Name
             * @description display name
             */
            name: string;
            category: components["schemas"]["Category"];
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Provider Symbols
             * @description the symbol's spelling at each provider, e.g. {"twelvedata": "EUR/USD", "yahoo": "EURUSD=X"}
             */
            provider_symbols?: {
                [key: string]: string;
            };
            /**
             * Provider Order
             * @description fallback chain for this symbol, first tried first; null = the service default
             */
            provider_order?: string[] | null;
            /**
             * Favourite
             * @default false
             */
            favourite: boolean;
        };
        /** SymbolList */
        SymbolList: {
            /** Items */
            items: components["schemas"]["SymbolOut"][];
            /** Total */
            total: number;
        };
        /** SymbolOut */
        SymbolOut: {
            /**
             * Symbol
             * @description canonical name, e.g. EURUSD, BTCUSD, NVDA
             */
            symbol: string;
            /**
             * Name
             * @description display name
             */
            name: string;
            category: components["schemas"]["Category"];
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Provider Symbols
             * @description the symbol's spelling at each provider, e.g. {"twelvedata": "EUR/USD", "yahoo": "EURUSD=X"}
             */
            provider_symbols?: {
                [key: string]: string;
            };
            /**
             * Provider Order
             * @description fallback chain for this symbol, first tried first; null = the service default
             */
            provider_order?: string[] | null;
            /**
             * Favourite
             * @default false
             */
            favourite: boolean;
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
        };
        /**
         * SymbolTimeframes
         * @description Which timeframes a symbol has data for (`GET /api/v1/symbols/{symbol}/timeframes`).
         */
        SymbolTimeframes: {
            /** Symbol */
            symbol: string;
            /**
             * Timeframes
             * @description only those with data (stored, embedded or from a configured provider), finest first; empty: the symbol has no data at all yet
             */
            timeframes: components["schemas"]["TimeframeAvailability"][];
            /**
             * Summary
             * @description in words, e.g. 'D1 (imported, 60 bars)'
             */
            summary: string;
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
        /**
         * TimeframeAvailability
         * @description One timeframe a symbol has bars for, or a provider in its order can serve.
         */
        TimeframeAvailability: {
            timeframe: components["schemas"]["Timeframe"];
            /**
             * Stored Bars
             * @description bars of it in the service's store (cached or imported)
             */
            stored_bars: number;
            /**
             * First
             * @description the oldest stored bar's time
             */
            first: string | null;
            /**
             * Last
             * @description the newest stored bar's time
             */
            last: string | null;
            /**
             * Stored From
             * @description who stored those bars: a provider's name, or "import"
             */
            stored_from: string[];
            /**
             * Providers
             * @description providers in the symbol's order that serve it: the embedded data (known) and the configured online providers (they serve every timeframe, not checked here)
             */
            providers: string[];
            /** @description the embedded data's finer timeframe that is resampled into it */
            resampled_from?: components["schemas"]["Timeframe"] | null;
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
export type Bar = components['schemas']['Bar'];
export type BodyImportOhlcvApiV1OhlcvSymbolImportPost = components['schemas']['Body_import_ohlcv_api_v1_ohlcv__symbol__import_post'];
export type Category = components['schemas']['Category'];
export type CpuMetrics = components['schemas']['CpuMetrics'];
export type GpuDevice = components['schemas']['GpuDevice'];
export type GpuMetrics = components['schemas']['GpuMetrics'];
export type Health = components['schemas']['Health'];
export type ImportResult = components['schemas']['ImportResult'];
export type IndicatorInfo = components['schemas']['IndicatorInfo'];
export type IndicatorSeries = components['schemas']['IndicatorSeries'];
export type Indicators = components['schemas']['Indicators'];
export type MemoryMetrics = components['schemas']['MemoryMetrics'];
export type Ohlcv = components['schemas']['OHLCV'];
export type ProviderStatus = components['schemas']['ProviderStatus'];
export type RiskLevel = components['schemas']['RiskLevel'];
export type StrategyIn = components['schemas']['StrategyIn'];
export type StrategyOut = components['schemas']['StrategyOut'];
export type StrategyType = components['schemas']['StrategyType'];
export type SymbolIn = components['schemas']['SymbolIn'];
export type SymbolList = components['schemas']['SymbolList'];
export type SymbolOut = components['schemas']['SymbolOut'];
export type SymbolTimeframes = components['schemas']['SymbolTimeframes'];
export type SystemMetrics = components['schemas']['SystemMetrics'];
export type Timeframe = components['schemas']['Timeframe'];
export type TimeframeAvailability = components['schemas']['TimeframeAvailability'];
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
    list_symbols_api_v1_symbols_get: {
        parameters: {
            query?: {
                category?: components["schemas"]["Category"] | null;
                favourite?: boolean | null;
                /** @description substring of symbol or name */
                q?: string | null;
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
                    "application/json": components["schemas"]["SymbolList"];
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
    create_symbol_api_v1_symbols_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SymbolIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SymbolOut"];
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
    get_symbol_api_v1_symbols__symbol__get: {
        parameters: {
            query?: never;
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
                    "application/json": components["schemas"]["SymbolOut"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`) */
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
    replace_symbol_api_v1_symbols__symbol__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the symbol, e.g. BTCUSD (any case) */
                symbol: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SymbolIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SymbolOut"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`) */
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
    delete_symbol_api_v1_symbols__symbol__delete: {
        parameters: {
            query?: never;
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`) */
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
    symbol_timeframes_api_v1_symbols__symbol__timeframes_get: {
        parameters: {
            query?: never;
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
                    "application/json": components["schemas"]["SymbolTimeframes"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`) */
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
    add_favourite_api_v1_symbols__symbol__favourite_put: {
        parameters: {
            query?: never;
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
                    "application/json": components["schemas"]["SymbolOut"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`) */
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
    remove_favourite_api_v1_symbols__symbol__favourite_delete: {
        parameters: {
            query?: never;
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
                    "application/json": components["schemas"]["SymbolOut"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`) */
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
    list_strategies_api_v1_strategies_get: {
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
                    "application/json": components["schemas"]["StrategyOut"][];
                };
            };
        };
    };
    create_strategy_api_v1_strategies_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StrategyIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StrategyOut"];
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
    get_strategy_api_v1_strategies__sid__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                sid: string;
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
                    "application/json": components["schemas"]["StrategyOut"];
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
            /** @description Not found (`urn:tradingstack:problem:not-found`) */
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
    replace_strategy_api_v1_strategies__sid__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                sid: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StrategyIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StrategyOut"];
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
            /** @description Not found (`urn:tradingstack:problem:not-found`) */
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
    delete_strategy_api_v1_strategies__sid__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                sid: string;
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
            /** @description Not found (`urn:tradingstack:problem:not-found`) */
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
    get_ohlcv_api_v1_ohlcv__symbol__get: {
        parameters: {
            query?: {
                timeframe?: components["schemas"]["Timeframe"];
                /** @description newest N bars (default 500) */
                limit?: number | null;
                start?: string | null;
                end?: string | null;
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
                    "application/json": components["schemas"]["OHLCV"];
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
    import_ohlcv_api_v1_ohlcv__symbol__import_post: {
        parameters: {
            query: {
                timeframe: components["schemas"]["Timeframe"];
            };
            header?: never;
            path: {
                /** @description the symbol, e.g. BTCUSD (any case) */
                symbol: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "multipart/form-data": components["schemas"]["Body_import_ohlcv_api_v1_ohlcv__symbol__import_post"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportResult"];
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
            /** @description Unknown symbol (`urn:tradingstack:problem:unknown-symbol`) */
            404: {
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
        };
    };
    list_indicators_api_v1_indicators_get: {
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
                    "application/json": components["schemas"]["IndicatorInfo"][];
                };
            };
        };
    };
    get_indicators_api_v1_indicators__symbol__get: {
        parameters: {
            query?: {
                timeframe?: components["schemas"]["Timeframe"];
                /** @description comma list, optional parameters after colons: rsi,sma:50,bbands:20:2 */
                names?: string;
                /** @description newest N bars (default 500) */
                limit?: number | null;
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
                    "application/json": components["schemas"]["Indicators"];
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
    providers_api_v1_providers_get: {
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
                    "application/json": components["schemas"]["ProviderStatus"][];
                };
            };
        };
    };
}
