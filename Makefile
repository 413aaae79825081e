# The two commands of README.md. Each runs the set-up first; it is idempotent and quick when done.
.PHONY: setup report test bench

setup:
	bash environment/setup.sh

# The study on the embedded synthetic STEAD (preset quick): the seven notebooks (07: EQTransformer on waveforms) executed into reports/ (HTML, index with the
# results table, summary.csv); every intermediate file in runs/quick/.
report: setup
	./quakeprune info
	./quakeprune notebooks run --out reports --overwrite -p preset quick --summary runs/quick/summary.csv

test: setup
	bash environment/check-style.sh
	dotnet test QuakePrune.sln -c Release --no-build --nologo

# Benchmarks print figures side by side with the Python reference; each script installs what it needs.
bench: setup
	for f in environment/bench/*.sh; do bash "$$f" || exit 1; done
