# Thin wrappers: each target is one or two cargo lines.
IOBOUND := cargo run --release --quiet -p iobound --

.PHONY: bench bench-quick bench-fio bench-peers report-check fuzz test build

## bench: the default suite (workloads/suites/default.toml), report under results/<run-id>/
bench:
	$(IOBOUND) bench --suite default --lang fr

## bench-quick: a short suite, under 90 seconds
bench-quick:
	$(IOBOUND) bench --suite quick --lang fr

## bench-fio: iobound and fio side by side on the same files (needs fio)
bench-fio:
	$(IOBOUND) fio

## bench-peers: iobound beside fio, sockperf and redis-benchmark on loopback (apt-get install fio sockperf redis-server redis-tools; a missing one is skipped)
bench-peers:
	$(IOBOUND) peers --duration 3s

## report-check: render a report in headless Chromium and check its charts (needs chromium)
report-check:
	cargo test --quiet -p iobound --test e2e report_html_renders -- --nocapture

## fuzz: libFuzzer on the wire protocol's decoder for FUZZ_SECONDS (needs cargo install cargo-fuzz)
FUZZ_SECONDS ?= 60
fuzz:
	cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run frame -- -max_total_time=$(FUZZ_SECONDS)

## test: every unit and end-to-end test, the Rust workspace's and the Python program's
test:
	cargo test --workspace --quiet
	cd python && python3 -m unittest discover -s tests

build:
	cargo build --release
