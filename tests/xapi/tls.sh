#!/bin/sh
# SPDX-License-Identifier: MIT
# https: the server certificate is verified by default; a CA given by
# option or XENBAKE_CA_FILE makes it pass; --insecure skips the check; a
# certificate for another name fails even with the right CA.
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
has "$T/ca.stdout" "calls 6"

XENBAKE_CA_FILE=$T/ca.pem probe caenv -e "$URL" state
expect_rc 0
has "$T/caenv.stdout" "calls 6"

probe insecure -e "$URL" -k state
expect_rc 0
has "$T/insecure.stdout" "calls 6"

# the right CA, the wrong name
probe wrongname -e "https://localhost:$(port tls)" -c "$T/ca.pem" state
expect_rc 1
has "$T/wrongname.stderr" "error: session.login_with_password: https://localhost:$(port tls): SSL: no alternative certificate subject name matches"

# plain http to a TLS port is an error, not a hang
probe plain -e "http://127.0.0.1:$(port tls)" -t 2000 state
expect_rc 1
has "$T/plain.stderr" "error: session.login_with_password:"
for f in nocafile wrongname plain; do sed "s/^/  $f: /" "$T/$f.stderr"; done
echo "tls: ok"
