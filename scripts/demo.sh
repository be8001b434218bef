#!/bin/sh
# demo.sh -- pmemu's main job on its built-in demo: find the missing flush
set -u
cd "$(dirname "$0")/.."
B=${PMEMU_BUILD_DIR:-build}
dir=$(mktemp -d /tmp/pmemu-demo.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "\$ pmemu run --pmem-dir $dir -- pmemu-demo append $dir/log.pool hello world"
$B/bin/pmemu run --pmem-dir "$dir" -- $B/bin/pmemu-demo append \
	"$dir/log.pool" hello world
rm -f "$dir/log.pool"
echo
echo "\$ pmemu explore --pmem-dir $dir --check 'pmemu-demo check {pmem}' -- pmemu-demo append $dir/log.pool hello world"
$B/bin/pmemu explore --pmem-dir "$dir" \
	--check "$B/bin/pmemu-demo check {pmem}" -- \
	$B/bin/pmemu-demo append "$dir/log.pool" hello world
exit 0
