#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/xapi-fetch.sh URL - the floor of a no-op apply: the raw bytes of
# the replies xenbake reads (login, get_all_records of host, VM, SR,
# network, PIF and PBD, logout), fetched with curl and thrown away, as
# one process with one connection. bench/xapi.sh times it.
set -eu
url=$1
call() {   # call METHOD [SESSION]: an XML-RPC request body
	printf '<?xml version="1.0"?><methodCall><methodName>%s</methodName><params>' "$1"
	[ $# -lt 2 ] || printf '<param><value><string>%s</string></value></param>' "$2"
	printf '</params></methodCall>'
}
login='<?xml version="1.0"?><methodCall><methodName>session.login_with_password</methodName><params><param><value><string>root</string></value></param><param><value><string></string></value></param></params></methodCall>'
session=$(curl -sS -H 'Content-Type: text/xml' --data-binary "$login" "$url/" |
	sed -n 's/.*<name>Value<\/name><value>\(<string>\)\{0,1\}\(OpaqueRef:[^<]*\).*/\2/p')
[ -n "$session" ] || { echo "xapi-fetch: no session from $url" >&2; exit 1; }
set --
for cls in host VM SR network PIF PBD; do
	[ $# -eq 0 ] || set -- "$@" --next
	set -- "$@" -sS -o /dev/null -H 'Content-Type: text/xml' \
		--data-binary "$(call "$cls.get_all_records" "$session")" "$url/"
done
curl "$@" --next -sS -o /dev/null -H 'Content-Type: text/xml' \
	--data-binary "$(call session.logout "$session")" "$url/"
