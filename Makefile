# The two commands of README.md. Each runs the set-up first; it is idempotent and quick when done.
.PHONY: setup report test bench

setup:
	bash environment/setup.sh

report: setup
	./quakeprune info

test: setup
	dotnet test QuakePrune.sln -c Release --no-build --nologo

bench: setup
	bash environment/bench.sh
