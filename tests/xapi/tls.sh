#!/bin/sh
# SPDX-License-Identifier: MIT
# https: the server certificate is verified by default; a CA given by
# option or XENBAKE_CA_FILE makes it pass; --insecure skips the check; a
# certificate for another name fails even with the right CA. A pinned
# SHA-256 fingerprint of the certificate is trusted alone (any name, no CA),
# a wrong one is refused before anything is sent; with a CA both must hold.
# xenbake's own --xapi-ca and --xapi-fingerprint reach the client.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null 2>&1 || { echo "no openssl: skipped"; exit 77; }

EC="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
# shellcheck disable=SC2086
openssl req -x509 $EC -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
	-subj /CN=xenbake-test-ca 2>"$T/openssl.log" || fail "openssl: cannot make a CA"
# shellcheck disable=SC2086
openssl req $EC -keyout "$T/srv.key" -out "$T/srv.csr" \
	-subj /CN=127.0.0.1 2>>"$T/openssl.log" || fail "openssl: cannot make a request"
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	-CAcreateserial -out "$T/srv.pem" -days 2 -extfile "$T/san.ext" \
	2>>"$T/openssl.log" || fail "openssl: cannot sign"

canned tls --replies "$REPLIES" --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
URL=https://127.0.0.1:$(port tls)

probe nocafile -e "$URL" state
expect_rc 1
has "$T/nocafile.stderr" "error: session.login_with_password: $URL: SSL certificate problem"
lacks "$T/tls.log" "session.login_with_password"     # nothing was sent

probe ca -e "$URL" -c "$T/ca.pem" state
expect_rc 0
has "$T/ca.stdout" "name=web-01 running=1 domid=5"
has "$T/ca.stdout" "calls 7"

XENBAKE_CA_FILE=$T/ca.pem probe caenv -e "$URL" state
expect_rc 0
has "$T/caenv.stdout" "calls 7"

probe insecure -e "$URL" -k state
expect_rc 0
has "$T/insecure.stdout" "calls 7"

# the right CA, the wrong name
probe wrongname -e "https://localhost:$(port tls)" -c "$T/ca.pem" state
expect_rc 1
has "$T/wrongname.stderr" "error: session.login_with_password: https://localhost:$(port tls): SSL: no alternative certificate subject name matches"

# plain http to a TLS port is an error, not a hang
probe plain -e "http://127.0.0.1:$(port tls)" -t 2000 state
expect_rc 1
has "$T/plain.stderr" "error: session.login_with_password:"
# pinned: the certificate's SHA-256, as openssl prints it (colons, upper
# case) and as bare lower-case hex
FP=$(openssl x509 -in "$T/srv.pem" -noout -fingerprint -sha256 | sed 's/^[^=]*=//')
FPHEX=$(printf %s "$FP" | tr -d : | tr A-F a-f)
[ ${#FPHEX} = 64 ] || fail "openssl: no fingerprint ($FP)"
BADFP=$(openssl x509 -in "$T/ca.pem" -noout -fingerprint -sha256 | sed 's/^[^=]*=//')
BADHEX=$(printf %s "$BADFP" | tr -d : | tr A-F a-f)

probe pinned -e "$URL" -f "$FP" state
expect_rc 0
has "$T/pinned.stdout" "calls 7"

# the pin trusts the certificate whatever the name it is reached by
probe pinnedname -e "https://localhost:$(port tls)" -f "$FPHEX" state
expect_rc 0
has "$T/pinnedname.stdout" "calls 7"

n=$(count "$T/tls.log" "session.login_with_password")
probe wrongpin -e "$URL" -f "$BADFP" state
expect_rc 1
has "$T/wrongpin.stderr" "the server's certificate has SHA-256 fingerprint $FPHEX, not the pinned $BADHEX (--xapi-fingerprint): nothing was sent"
[ "$(count "$T/tls.log" "session.login_with_password")" = "$n" ] ||
	fail "a wrong pin still sent the login"

# CA and pin: both must hold
probe capinned -e "$URL" -c "$T/ca.pem" -f "$FPHEX" state
expect_rc 0
probe cawrongpin -e "$URL" -c "$T/ca.pem" -f "$BADHEX" state
expect_rc 1
has "$T/cawrongpin.stderr" "not the pinned $BADHEX"
probe pinwrongname -e "https://localhost:$(port tls)" -c "$T/ca.pem" -f "$FPHEX" state
expect_rc 1
has "$T/pinwrongname.stderr" "no alternative certificate subject name matches"

probe badpin -e "$URL" -f "12:34" state
expect_rc 1
has "$T/badpin.stderr" "error: bad certificate fingerprint '12:34': expected the 64 hex digits of its SHA-256"

# xenbake itself: --xapi-ca and --xapi-fingerprint reach the client (check
# reads the canned host through TLS and reports the key it lacks)
XB=$top_builddir/xenbake
printf 'vm "web-01" optional { other-config "k" = "v"; }\n' >"$T/c.xb"
"$top_builddir/xenbakec" -o "$T/c.xbb" "$T/c.xb" || fail "xenbakec"
xb() {
	name=$1
	shift
	rc=0
	env -u XENBAKE_CA_FILE "$XB" check "$T/c.xbb" --no-xenstore --no-syslog \
		--state-dir "$T/state" --xapi "$URL" "$@" \
		>"$T/$name.stdout" 2>"$T/$name.stderr" || rc=$?
}
xb xbnoca
expect_rc 1
has "$T/xbnoca.stderr" "SSL certificate problem"
for args in "--xapi-ca $T/ca.pem" "--xapi-fingerprint $FP" \
	    "--xapi-ca $T/ca.pem --xapi-fingerprint $FPHEX"; do
	# shellcheck disable=SC2086
	xb xbok $args
	expect_rc 2                 # read the host through TLS: drift
	has "$T/xbok.stdout" 'vm web-01 other_config[k]: host has nothing'
done
xb xbwrong --xapi-fingerprint "$BADHEX"
expect_rc 1
has "$T/xbwrong.stderr" "not the pinned $BADHEX"
xb xbbad --xapi-fingerprint nothex
expect_rc 1
has "$T/xbbad.stderr" "--xapi-fingerprint takes the 64 hex digits of a SHA-256"

for f in nocafile wrongname plain wrongpin badpin; do sed "s/^/  $f: /" "$T/$f.stderr"; done
echo "tls: ok"
