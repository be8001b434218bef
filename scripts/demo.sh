#!/bin/sh
# demo.sh -- pmemu's main job on its built-in demo: find the missing flush
set -u
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/pmemu-demo.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "\$ pmemu run --pmem-dir $dir -- pmemu-demo append $dir/log.pool hello world"
build/bin/pmemu run --pmem-dir "$dir" -- build/bin/pmemu-demo append \
	"$dir/log.pool" hello world
rm -f "$dir/log.pool"
echo
echo "\$ pmemu explore --pmem-dir $dir --check 'pmemu-demo check {pmem}' -- pmemu-demo append $dir/log.pool hello world"
build/bin/pmemu explore --pmem-dir "$dir" \
	--check "build/bin/pmemu-demo check {pmem}" -- \
	build/bin/pmemu-demo append "$dir/log.pool" hello world
exit 0
