#!/bin/bash
# pigz.sh: pigz -p 8 (eight compressing threads) compresses and decompresses
# a generated 48 MiB file under mnthread exactly as natively: the
# compressed bytes are identical to native's (pigz's output does not
# depend on its threads' timing), and decompressing gives the file back.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need pigz pigz
# Compressible, not trivially: base64 of random bytes.
head -c 36000000 /dev/urandom | base64 >"$real_tmp/data" || skip "cannot write $real_tmp/data"
want=$(sha256sum <"$real_tmp/data")

both pigz -p 8 -c "$real_tmp/data"
cp "$real_tmp/native.out" "$real_tmp/native.gz"
if [ "$native_rc" -eq 0 ] && [ "$mn_rc" -eq 0 ]; then
	cmp -s "$real_tmp/native.out" "$real_tmp/mnthread.out" ||
		bad "compressed output differs from native"
fi
say "compress: native ${native_secs}s, mnthread ${mn_secs}s"

both pigz -d -p 8 -c "$real_tmp/native.gz"
if [ "$native_rc" -eq 0 ] && [ "$mn_rc" -eq 0 ]; then
	[ "$(sha256sum <"$real_tmp/mnthread.out")" = "$want" ] || bad "decompressed output is not the file"
fi
say "decompress: native ${native_secs}s, mnthread ${mn_secs}s"
finish
