#!/bin/sh
# SPDX-License-Identifier: MIT
# Records of the wrong shape: each gives an error naming the call, the
# record and the field, never a crash, and nothing is half-read.
. "$(dirname "$0")/lib.sh"

# mutate NAME PYTHON-STATEMENT: a copy of the canned replies, changed by
# the statement (r is the dict), served by a new server NAME.
mutate() {
	"$PY" - "$REPLIES" "$T/$1.json" "$2" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"))
PYEOF
	canned "$1" --replies "$T/$1.json"
}

# check NAME PYTHON-STATEMENT EXPECTED-ERROR
check() {
	mutate "$1" "$2"
	probe "$1" -e "http://127.0.0.1:$(port "$1")" pbds
	expect_rc 1
	has "$T/$1.stderr" "error: $3"
	lacks "$T/$1.stdout" "vm "        # nothing printed: nothing half-read
	has "$T/$1.log" "session.logout"
	tried=$((tried + 1))
}
tried=0
VM='r["VM.get_all_records"]["OpaqueRef:vm-web"]'

check nodomid "del $VM['domid']" \
	"VM.get_all_records: record OpaqueRef:vm-web has no field domid"
check domidword "$VM['domid'] = 'five'" \
	'VM.get_all_records: record OpaqueRef:vm-web: field domid is "five", not a number'
check domidbig "$VM['domid'] = '99999999999'" \
	"VM.get_all_records: record OpaqueRef:vm-web: domid 99999999999 is out of range"
check domidstruct "$VM['domid'] = {}" \
	"VM.get_all_records: record OpaqueRef:vm-web: field domid is a struct, not a number"
check template "$VM['is_a_template'] = 'false'" \
	"VM.get_all_records: record OpaqueRef:vm-web: field is_a_template is a string, not a boolean"
check power "$VM['power_state'] = 1" \
	"VM.get_all_records: record OpaqueRef:vm-web: field power_state is an int, not a string"
check xsdata "$VM['xenstore_data'] = ['vm-data/a']" \
	"VM.get_all_records: record OpaqueRef:vm-web: field xenstore_data is an array, not a struct"
check ocvalue "$VM['other_config']['n'] = 3" \
	'VM.get_all_records: record OpaqueRef:vm-web: field other_config: key "n" is an int, not a string'
check vmrec "r['VM.get_all_records']['OpaqueRef:vm-web'] = 'x'" \
	"VM.get_all_records: record OpaqueRef:vm-web is a string, not a struct"
check vmall "r['VM.get_all_records'] = []" \
	"VM.get_all_records: an array, not a struct of records"
check hostaddr "del r['host.get_all_records']['OpaqueRef:host-2']['address']" \
	"host.get_all_records: record OpaqueRef:host-2 has no field address"
check srname "r['SR.get_all_records']['OpaqueRef:sr-nfs']['name_label'] = None" \
	"SR.get_all_records: record OpaqueRef:sr-nfs: field name_label is nil, not a string"
check netoc "del r['network.get_all_records']['OpaqueRef:net-1']['other_config']" \
	"network.get_all_records: record OpaqueRef:net-1 has no field other_config"
check pifdev "r['PIF.get_all_records']['OpaqueRef:pif-1']['device'] = True" \
	"PIF.get_all_records: record OpaqueRef:pif-1: field device is a boolean, not a string"
check pifnet "del r['PIF.get_all_records']['OpaqueRef:pif-2']['network']" \
	"PIF.get_all_records: record OpaqueRef:pif-2 has no field network"
check pbdattached "r['PBD.get_all_records']['OpaqueRef:pbd-1']['currently_attached'] = 'true'" \
	"PBD.get_all_records: record OpaqueRef:pbd-1: field currently_attached is a string, not a boolean"
check pbdsr "del r['PBD.get_all_records']['OpaqueRef:pbd-2']['SR']" \
	"PBD.get_all_records: record OpaqueRef:pbd-2 has no field SR"
check nomethod "del r['PIF.get_all_records']" \
	"PIF.get_all_records: MESSAGE_METHOD_UNKNOWN [PIF.get_all_records]"
# records are read one by one as they arrive: the duplicate is found once
# the struct of records ends, still before anything is used
check rawdup "r['SR.get_all_records'] = {'raw': '<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value><struct><member><name>OpaqueRef:a</name><value><struct><member><name>uuid</name><value>u</value></member><member><name>other_config</name><value><struct/></value></member><member><name>name_label</name><value>n</value></member><member><name>name_description</name><value></value></member></struct></value></member><member><name>OpaqueRef:a</name><value><struct><member><name>uuid</name><value>u</value></member><member><name>other_config</name><value><struct/></value></member><member><name>name_label</name><value>n</value></member><member><name>name_description</name><value></value></member></struct></value></member></struct></value></member></struct></value></param></params></methodResponse>'}" \
	'SR.get_all_records: malformed reply (line 1): duplicate struct member "OpaqueRef:a"'

echo "shapes: $tried wrong shapes tried, each refused clearly"
