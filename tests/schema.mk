# SPDX-License-Identifier: MIT
# tests/schema.mk (included from the top-level Makefile.am)
# The JSON the programs print, against schema/*.schema.json. check-json.py
# is the one validator, for any schema: check-json.py SCHEMA FILE...
TESTS += tests/schema/validate.sh tests/schema/host-bytes.sh
EXTRA_DIST += tests/schema/validate.sh tests/schema/host-bytes.sh \
	tests/schema/check-json.py
