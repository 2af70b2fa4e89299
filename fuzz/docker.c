/*
 * Fuzz target: what upkeep makes of a Docker engine's replies (an engine
 * or a socket squatter may send anything): the reply wording
 * (docker_reply_parse, as a 2xx and as an error status), /version
 * (docker_version_parse), /system/df totals (docker_df_totals), object
 * times and labels as the prune and check code read them
 * (docker_parse_time, docker_labels_match), and version comparison. The
 * input's first line is also tried as DOCKER_HOST (docker_host_resolve).
 * What each endpoint's fields mean beyond these is read by
 * steps/docker_prune.c, checks/docker.c and steps/patch_check.c.
 */
#include "fuzz.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* What the prune step and the checks read of each listed object. */
static void objects(const json_t *list)
{
	size_t i;
	json_t *o;
	time_t t;

	json_array_foreach(list, i, o) {
		const json_t *labels = json_object_get(o, "Labels");

		docker_parse_time(json_object_get(o, "Created"), &t);
		docker_parse_time(json_object_get(o, "CreatedAt"), &t);
		docker_labels_match(labels, "keep");
		docker_labels_match(labels, "com.example.keep=true");
		docker_labels_match(labels, "=");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker_version ver;
	struct docker_host host;
	json_t *reply = NULL, *totals;
	char *text, *nl;

	if (size > 1 << 20)
		return -1;
	/* libcurl hands over a NUL-terminated buffer; so does this. */
	text = fuzz_cstr(data, size);
	docker_reply_parse("GET /v1.41/x", 500, text, size, NULL);
	docker_reply_parse("GET /_ping", 200, text, size, NULL);
	if (docker_reply_parse("GET /v1.41/x", 200, text, size, &reply) == 0) {
		docker_version_parse(reply, "unix:///fuzz.sock", &ver);
		totals = docker_df_totals(reply);
		json_decref(totals);
		objects(reply);
		objects(json_object_get(reply, "Images"));
		objects(json_object_get(reply, "Containers"));
		objects(json_object_get(reply, "Volumes"));
		json_decref(reply);
	}
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	if (docker_host_resolve(&host, NULL, text, "1", "/certs") == 0)
		docker_host_free(&host);
	if (docker_host_resolve(&host, NULL, text, NULL, NULL) == 0)
		docker_host_free(&host);
	docker_version_cmp(text, DOCKER_API_MAX);
	free(text);
	return 0;
}
