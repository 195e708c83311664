# Context0 — the two commands are `make run` and `make test` (see README.md).
.PHONY: run test test-sdks build bench-queue bench-embed db-start db-stop db-url migrate bench-memories bench-api bench-usage bench-chunker eval-search bench-search fuzz test-faults

run:
	@scripts/run.sh

test:
	@scripts/test.sh

test-sdks: build
	@scripts/test-sdks.sh

build:
	@scripts/setup.sh
	swift build -c release

bench-queue:
	@Benchmarks/Queue/run.sh

bench-embed:
	@Benchmarks/Embedding/run.sh

bench-memories:
	@Benchmarks/Memories/run.sh

bench-api: ; @Benchmarks/API/run.sh

bench-search: ; @Benchmarks/API/shapes.sh

bench-usage: ; @Benchmarks/Usage/run.sh

bench-chunker: ; @Benchmarks/Chunker/run.sh

# Search quality: nDCG@10 and recall@10 of /context/search per ranking mode on a labelled
# King James Bible set (Benchmarks/SearchEval/README.md).
eval-search: ; @Benchmarks/SearchEval/run.sh

# Kills workers, the API and PostgreSQL under load and accounts for every write, job,
# webhook and billed unit (scripts/faults.sh, docs/reliability.md). About 3 minutes.
test-faults: build
	@scripts/faults.sh

# Schemathesis against the served OpenAPI document, long form (scripts/fuzz.sh).
fuzz: build
	@scripts/fuzz.sh long

db-start:
	@scripts/setup.sh
	@scripts/postgres.sh start

db-stop:
	@scripts/postgres.sh stop

db-url:
	@scripts/postgres.sh url

migrate: build
	@DATABASE_URL="$$(scripts/postgres.sh url)" .build/release/context0-admin migrate
