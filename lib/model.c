/* SPDX-License-Identifier: MIT */
/* model.c - names of the classes and fields in model.h. */
#include <string.h>

#include "lib/model.h"

int xb_owner_valid(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= XB_OWNER_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

const char *xb_class_keyword(enum xb_class cls)
{
	switch (cls) {
	case XB_CLASS_VM: return "vm";
	case XB_CLASS_SR: return "sr";
	case XB_CLASS_NETWORK: return "network";
	case XB_CLASS_PIF: return "pif";
	case XB_CLASS_HOST: return "host";
	case XB_CLASS_POOL: return "pool";
	}
	return "?";
}

const char *xb_class_xapi(enum xb_class cls)
{
	switch (cls) {
	case XB_CLASS_VM: return "VM";
	case XB_CLASS_SR: return "SR";
	case XB_CLASS_NETWORK: return "network";
	case XB_CLASS_PIF: return "PIF";
	case XB_CLASS_HOST: return "host";
	case XB_CLASS_POOL: return "pool";
	}
	return "?";
}

const char *xb_field_xapi(enum xb_field field)
{
	switch (field) {
	case XB_FIELD_XENSTORE_DATA: return "xenstore_data";
	case XB_FIELD_OTHER_CONFIG: return "other_config";
	case XB_FIELD_NAME_LABEL: return "name_label";
	case XB_FIELD_NAME_DESCRIPTION: return "name_description";
	case XB_FIELD_TAGS: return "tags";
	}
	return "?";
}
