/* The explicit table of check kinds; see check.h. */
#include "checks/check.h"

#include <string.h>

const struct check_kind *const check_kinds[] = {
	&check_kind_http,
	&check_kind_postgres,
	&check_kind_disk,
	&check_kind_memory,
	&check_kind_tcp,
	&check_kind_command,
	&check_kind_docker,
	NULL,
};

const struct check_kind *check_kind_find(const char *name)
{
	for (size_t i = 0; check_kinds[i]; i++)
		if (strcmp(check_kinds[i]->name, name) == 0)
			return check_kinds[i];
	return NULL;
}

const char *const *check_kind_names(void)
{
	static const char *names[sizeof(check_kinds) / sizeof(check_kinds[0])];

	for (size_t i = 0; check_kinds[i]; i++)
		names[i] = check_kinds[i]->name;
	return names;
}
