# The web dashboard's front-end (services/tradingstack/ui/frontend: Vite + TypeScript +
# lightweight-charts from npm, pinned by package-lock.json), built into the ui service's package
# (services/tradingstack/ui/static, git-ignored). Rebuilt only when its sources or lock change.
# Its TypeScript types of the services' answers (src/generated/) come from their OpenAPI documents
# (`make ui-types`; tests/unit/ui checks they are current and that the views compile against them).
# The browser tests drive Debian's chromium (installed here) with Python Playwright.
UI_FRONTEND := services/tradingstack/ui/frontend
UI_STAMP := services/tradingstack/ui/static/.built
UI_SOURCES := $(shell find $(UI_FRONTEND)/src -type f 2>/dev/null) \
	$(addprefix $(UI_FRONTEND)/,index.html build.mjs openapi-types.mjs package.json package-lock.json tsconfig.json)

$(UI_STAMP): $(UI_SOURCES)
	@command -v npm >/dev/null 2>&1 || { \
	  echo "npm is missing: install Node.js 20.19+ (with npm) to build the dashboard"; exit 1; }
	cd $(UI_FRONTEND) && npm ci --no-audit --no-fund --loglevel=error && npm run build
	@touch $@

.PHONY: ui-assets
ui-assets: $(UI_STAMP) ## build the dashboard's front-end (npm ci + vite build) when it changed

# The services' OpenAPI documents (each app built in-process, no server) through openapi-typescript.
.PHONY: ui-types
ui-types: $(STAMP) ## regenerate the dashboard's TypeScript types from the services' OpenAPI
	@test -d $(UI_FRONTEND)/node_modules/openapi-typescript || \
	  (cd $(UI_FRONTEND) && npm ci --no-audit --no-fund --loglevel=error)
	$(PY) hack/ui_types.py

.PHONY: ui-types-check
ui-types-check: $(STAMP) ## fail when the dashboard's generated types are stale
	$(PY) hack/ui_types.py --check

# Headless Chromium for tests/browser: Debian's package (Playwright never downloads a browser).
.PHONY: browser
browser:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

install: ui-assets
up: ui-assets
test-deps: ui-assets browser
