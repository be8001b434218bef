#!/bin/sh
# test.sh -- build pmemu and run every test (cmocka + pytest, via ctest)
set -eu
cd "$(dirname "$0")/.."
missing=""
for p in $(cat scripts/debian-packages.txt); do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
	else
		echo "pmemu: error: missing Debian packages:$missing (run scripts/setup.sh)" >&2
		exit 2
	fi
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cd build
exec ctest --output-on-failure -j"$(nproc)" --timeout 1500
