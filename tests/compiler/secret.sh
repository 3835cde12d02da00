#!/bin/sh
# SPDX-License-Identifier: MIT
# secret.sh - secret values in the compiler: sealed to every --seal-to key,
# the same bytes for the same source and keys (in any order), the dump
# (sealed "...") compiles back to them without a key, --fmt keeps
# secret "FILE", the plaintext is in neither the blob nor the dump, and the
# plaintext is checked as any value before it is sealed. A .pub from
# before secrets is refused with how to fix it.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
XENBAKEC=$top_builddir/xenbakec
XENBAKE=$top_builddir/xenbake
[ -x "$XENBAKE" ] || { echo "SKIP: no $XENBAKE"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

check() {   # DESCRIPTION COMMAND
	if eval "$2"; then
		passed=$((passed + 1))
	else
		echo "FAIL: $1"
		failed=$((failed + 1))
	fi
}

cd "$work" || exit 1
"$XENBAKEC" --gen-key h1 2>/dev/null && "$XENBAKEC" --gen-key h2 2>/dev/null ||
	{ echo "FAIL: --gen-key"; exit 1; }
check "the .pub holds the sealing key on its second line" \
	'[ "$(sed -n 2p h1.pub | cut -d" " -f1)" = xenbake-x25519-public-key ]'
printf 'Plain-%s' 7f3c9a1e5b2d8c4f >pw.txt
cat >site.xb <<'XB'
vm "web-01" {
    vm-data "admin/password" = secret "pw.txt";
    other-config "token" = secret "pw.txt" once;
}
template t {
    vm-data "t" = secret "pw.txt";
}
for n in 1..2 {
    vm "db-${n}" {
        use t;
    }
}
XB
"$XENBAKEC" --seal-to h1.pub --seal-to h2.pub -o a.xbb site.xb 2>err
check "compiles with two --seal-to" '[ $? -eq 0 ] && [ ! -s err ]'
"$XENBAKEC" --seal-to h2.pub --seal-to h1.pub -o b.xbb site.xb
"$XENBAKEC" --seal-to h1.pub --seal-to h2.pub -o c.xbb site.xb
check "the same source and keys: the same bytes" 'cmp -s a.xbb c.xbb'
check "the keys in another order: the same bytes" 'cmp -s a.xbb b.xbb'
"$XENBAKEC" --seal-to h1.pub -o one.xbb site.xb
check "other keys: other bytes" '! cmp -s a.xbb one.xbb'
"$XENBAKE" dump a.xbb >dump.xb
check "dump writes sealed values" '[ "$(grep -c "= sealed \"WEJTTA" dump.xb)" -eq 4 ]'
check "dump keeps once" 'grep -q "other-config \"token\" = sealed \"[^\"]*\" once;" dump.xb'
(cd / && "$XENBAKEC" -o "$work/again.xbb" "$work/dump.xb")
check "the dump compiles back to the same bytes, without a key" 'cmp -s a.xbb again.xbb'
check "no plaintext in the blob nor the dump" '! grep -q 7f3c9a1e5b2d8c4f a.xbb dump.xb'
"$XENBAKEC" --fmt -o fmt.xb site.xb
check "--fmt keeps secret \"FILE\"" 'cmp -s site.xb fmt.xb'
check "a blob with a secret is format 3" \
	'[ "$(od -An -tu4 -j4 -N4 a.xbb | tr -d " ")" -eq 3 ]'

# xenbake diff: a changed secret is a change, its values not shown
printf 'Other-%s' 0b1d2e3f4a5c6d7e >pw.txt
"$XENBAKEC" --seal-to h1.pub --seal-to h2.pub -o d.xbb site.xb
"$XENBAKE" diff a.xbb d.xbb >diff.out 2>&1
check "diff of another secret: exit 2" '[ $? -eq 2 ]'
check "diff shows (secret) -> (secret)" \
	'grep -qF "~ xenstore_data[vm-data/admin/password]: (secret) -> (secret)" diff.out'
check "diff shows no sealed value" '! grep -q WEJTTA diff.out'

# the plaintext is checked before sealing
head -c 3000 /dev/zero | tr '\0' x >big.txt
printf 'vm "a" { vm-data "k" = secret "big.txt"; }\n' >big.xb
"$XENBAKEC" --seal-to h1.pub --check big.xb 2>err
check "a secret over xenstore's 2048 bytes: [xenstore-value-size]" \
	'[ $? -eq 1 ] && grep -q "xenstore-value-size" err'
printf 'a\001b' >ctl.txt
printf 'vm "a" { other-config "k" = secret "ctl.txt"; }\n' >ctl.xb
"$XENBAKEC" --seal-to h1.pub --check ctl.xb 2>err
check "a secret with a control character: [xml-char]" \
	'[ $? -eq 1 ] && grep -q "xml-char" err && ! grep -q "a.b" err'

# keys
head -n 1 h1.pub >old.pub
"$XENBAKEC" --seal-to old.pub -o x.xbb site.xb 2>err
check "a .pub without a sealing key: exit 2, saying to make the pair again" \
	'[ $? -eq 2 ] && grep -q "gen-key" err && [ ! -e x.xbb ]'
"$XENBAKEC" --public-from h1.key >again.pub
check "--public-from makes the .pub again, both lines" 'cmp -s h1.pub again.pub'
"$XENBAKEC" --seal-to again.pub -o x.xbb site.xb &&
	"$XENBAKEC" --seal-to h1.pub -o y.xbb site.xb
check "and seals as the .pub --gen-key wrote" 'cmp -s x.xbb y.xbb'
"$XENBAKEC" --seal-to h1.pub --seal-to h1.pub -o x.xbb site.xb 2>err
check "one key twice: an error" '[ $? -eq 1 ] && grep -q "twice" err'
"$XENBAKEC" --seal-to nowhere.pub -o x.xbb site.xb 2>err
check "a missing .pub: exit 2" '[ $? -eq 2 ] && grep -q "nowhere.pub" err'

echo "secret.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
