"""iobound's Python worker: the requests iobound's Rust engines run, in Python's own
concurrency models (asyncio, uvloop, threads, a process pool, asyncio with a
process pool for computing), started by the Rust harness as
``python3 -m iobound_py --model MODEL``. The contract is in ``python/README.md``.
"""

MODELS = ("asyncio", "uvloop", "threads", "procs", "asyncio-procs")
