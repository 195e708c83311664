# Context0 — the two commands are `make run` and `make test` (see README.md).
.PHONY: run test test-sdks build bench-queue bench-embed db-start db-stop db-url migrate bench-memories

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
	@bench/queue/run.sh

bench-embed:
	@bench/embed/run.sh

bench-memories:
	@bench/memories/run.sh

bench-api: ; @bench/api/run.sh

bench-usage: ; @bench/usage/run.sh

db-start:
	@scripts/setup.sh
	@scripts/postgres.sh start

db-stop:
	@scripts/postgres.sh stop

db-url:
	@scripts/postgres.sh url

migrate: build
	@DATABASE_URL="$$(scripts/postgres.sh url)" .build/release/context0-admin migrate
