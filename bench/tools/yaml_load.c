/*
 * yaml_load - the plainest YAML check a user could write: load every
 * document of every *.yaml / *.yml file under the given paths with
 * libyaml's yaml_parser_load (syntax and structure, into libyaml's own
 * document tree) and report the first error.  It is the floor that
 * bench/run.sh holds `upkeep check` against: upkeep parses the same files
 * and then checks every key, type, unit and reference, which this does
 * not.  Linked to libyaml alone, so that its start costs what a small
 * program's does.
 *
 *   yaml_load PATH...        exit 1 at the first file that does not parse
 *
 * link: -lyaml
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

static int yaml_load_file(const char *path)
{
	yaml_parser_t p;
	yaml_document_t doc;
	FILE *f = fopen(path, "rb");
	int rc = 0, done = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	while (!done) {
		if (!yaml_parser_load(&p, &doc)) {
			fprintf(stderr, "%s:%zu:%zu: %s\n", path,
				p.problem_mark.line + 1,
				p.problem_mark.column + 1,
				p.problem ? p.problem : "cannot parse");
			rc = -1;
			break;
		}
		done = !yaml_document_get_root_node(&doc);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&p);
	fclose(f);
	return rc;
}

static int yaml_load_visit(const char *path, const struct stat *st, int type,
			   struct FTW *ftw)
{
	size_t n = strlen(path);

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	if ((n > 5 && !strcmp(path + n - 5, ".yaml")) ||
	    (n > 4 && !strcmp(path + n - 4, ".yml")))
		return yaml_load_file(path) < 0;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: yaml_load PATH...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (nftw(argv[i], yaml_load_visit, 16, FTW_PHYS))
			return 1;
	return 0;
}
