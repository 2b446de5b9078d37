/*
 * names.c - the service name rule (see names.h).
 */
#include "config.h"

#include "names.h"

bool service_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '@' ||
	       c == '-';
}

bool service_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > SERVICE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!service_name_char(name[i]))
			return false;
	return true;
}
