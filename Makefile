# Thin wrappers: each target is one or two cargo lines.
IOBOUND := cargo run --release --quiet -p iobound --
BENCH   := -w file-randread,file-seqread,file-write,mixed-file -m threads,uring,rayon,hybrid -c 1,8,32 -d 2s --warmup 500ms

.PHONY: bench bench-fio test build

## bench: the default suite, buffered then O_DIRECT (results under results/)
bench:
	$(IOBOUND) run $(BENCH)
	$(IOBOUND) run $(BENCH) --direct
	$(IOBOUND) run -w cpu-hash,cpu-image -m threads,uring,rayon,hybrid -c 1,8,32 -d 2s --warmup 500ms

## bench-fio: iobound and fio side by side on the same files (needs fio)
bench-fio:
	$(IOBOUND) fio

## test: every unit and end-to-end test
test:
	cargo test --workspace --quiet

build:
	cargo build --release
