# A real Ollama server for the llm tests and the bench (issue 17): `ollama` built from its Go
# module (pinned in hack/ollama/go.mod, cgo: a C/C++ compiler is needed) and cached in
# ~/.cache/tradingstack/bin/ollama-<hash>/; hack/ollama_server.py starts it on loopback.
OLLAMA_SERVER := python3 hack/ollama_server.py

.PHONY: ollama
ollama: ## build the pinned ollama binary (once; again only when hack/ollama/go.mod changes)
	@$(OLLAMA_SERVER) build

# `make test` runs the llm tests against the real server, so it builds the binary first.
test-deps: ollama
