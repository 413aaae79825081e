# The two commands of README.md. Each runs the set-up first; it is idempotent and quick when done.
.PHONY: setup report test bench

setup:
	bash environment/setup.sh

# The study on the embedded synthetic STEAD (preset quick): executed notebooks and HTML in reports/.
report: setup
	./quakeprune info
	./quakeprune notebooks run --out reports

test: setup
	dotnet test QuakePrune.sln -c Release --no-build --nologo

# Benchmarks print figures side by side with the Python reference; each script installs what it needs.
bench: setup
	for f in environment/bench/*.sh; do bash "$$f" || exit 1; done
