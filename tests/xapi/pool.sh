#!/bin/sh
# SPDX-License-Identifier: MIT
# A pool member answers login with HOST_IS_SLAVE [master]: the client logs
# in on the master (same scheme and port), once. A session that expires
# (SESSION_INVALID) is renewed by one new login and the call retried.
. "$(dirname "$0")/lib.sh"

# the master on 127.0.0.2, the member on 127.0.0.1, same port
P=$(pool_port) || fail "no port for the pool"
canned master --bind 127.0.0.2 --port "$P" --replies "$REPLIES"
canned member --bind 127.0.0.1 --port "$P" --mode slave --master 127.0.0.2
probe slave -e "http://127.0.0.1:$P" state
expect_rc 0
has "$T/slave.stdout" "name=web-01 running=1 domid=5"
has "$T/slave.stdout" "calls 8"            # member login + master login + 6
[ "$(count "$T/member.log" '^session.login_with_password')" = 1 ] || fail "member not asked once"
[ "$(count "$T/member.log" 'get_all_records')" = 0 ] || fail "records read from the member"
[ "$(count "$T/master.log" '^session.login_with_password')" = 1 ] || fail "no login on the master"
[ "$(count "$T/master.log" 'get_all_records')" = 6 ] || fail "records not read from the master"
has "$T/master.log" "session.logout"

# a master that also says HOST_IS_SLAVE is not followed further
P2=$(pool_port) || fail "no port for the pool"
canned loop1 --bind 127.0.0.2 --port "$P2" --mode slave --master 127.0.0.1
canned loop2 --bind 127.0.0.1 --port "$P2" --mode slave --master 127.0.0.2
probe loop -e "http://127.0.0.1:$P2" state
expect_rc 1
has "$T/loop.stderr" "error: session.login_with_password: HOST_IS_SLAVE [127.0.0.1]"
[ "$(count "$T/loop1.log" '^session.login_with_password')" = 1 ] &&
[ "$(count "$T/loop2.log" '^session.login_with_password')" = 1 ] || fail "not one login each"

# a master address that is not an address is refused
canned weird --mode slave --master "evil/path?x"
probe weird -e "http://127.0.0.1:$(port weird)" state
expect_rc 1
has "$T/weird.stderr" 'HOST_IS_SLAVE names a master "evil/path?x" that is not a host name or address'

# over the unix socket a member forwards; HOST_IS_SLAVE there is an error
canned usock --mode slave --unix "$T/member.sock"
probe usock -e "unix:$T/member.sock" state
expect_rc 1
has "$T/usock.stderr" "says it is a pool member (HOST_IS_SLAVE [127.0.0.2]) on its local socket"

# SESSION_INVALID: one new login, the call retried, read_state completes
canned expire --replies "$REPLIES" --mode session-invalid-once
probe expire -e "http://127.0.0.1:$(port expire)" state
expect_rc 0
has "$T/expire.stdout" "name=web-01"
has "$T/expire.stdout" "calls 9"           # login, failed call, login, 6
[ "$(count "$T/expire.log" '^session.login_with_password')" = 2 ] || fail "not logged in twice"
has "$T/expire.log" 'host.get_all_records ["OpaqueRef:session-2"]'
has "$T/expire.log" 'session.logout ["OpaqueRef:session-2"]'
echo "pool: ok"
