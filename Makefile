# Developer entry points. ./setup.sh installs the Debian packages these need.
#   make build   release build in build/ (binary: build/tandem)
#   make run     build, then start the edge with two SIPp backends (deploy/demo)
#   make test    ASan+UBSan build in build-asan/, then every unit and integration test
#                (a throwaway PostgreSQL is started for the store tests)
#   make unit    unit tests only (release build)
#   make fuzz    libFuzzer targets under clang+ASan, each run FUZZ_SECONDS (default 600)
#   make bench   microbenchmarks (release build)
#   make format  clang-format every source file
JOBS ?= 2
FUZZ_SECONDS ?= 600
CMAKE_GEN := -G Ninja

.PHONY: build run test unit fuzz bench format clean

build:
	cmake -S . -B build $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j $(JOBS)

run: build
	deploy/demo/run.sh build/tandem

test:
	cmake -S . -B build-asan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTANDEM_SANITIZE=ON -DTANDEM_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	# tests/store/pg.sh starts a throwaway PostgreSQL (as the postgres user) for the store tests.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/store/pg.sh run -- ctest --test-dir build-asan --output-on-failure -j $(JOBS)

unit: build
	ctest --test-dir build -L unit --output-on-failure -j $(JOBS)

fuzz:
	CC=clang CXX=clang++ cmake -S . -B build-fuzz $(CMAKE_GEN) -DTANDEM_FUZZ=ON -DTANDEM_BENCH=OFF -DTANDEM_WERROR=OFF
	cmake --build build-fuzz -j $(JOBS) --target sip_parser_fuzz
	fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

bench: build
	bench/run.sh build

format:
	find src bench fuzz -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz
