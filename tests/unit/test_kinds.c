/*
 * Unit tests: the step and check kind tables (runner/steps/steps.c,
 * runner/checks/checks.c) keep the promises the engine relies on: the
 * hooks step.h and check.h call required are there (the engine has no
 * "hook is NULL" branch), and the kinds that change things say so
 * (STEP_MUTATES: the engine never calls their run in a dry run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "checks/check.h"
#include "steps/step.h"

static void test_step_hooks(void **state)
{
	(void)state;
	assert_non_null(step_kinds[0]);
	for (size_t i = 0; step_kinds[i]; i++) {
		const struct step_kind *k = step_kinds[i];

		print_message("step kind '%s'\n", k->name);
		assert_non_null(k->name);
		assert_non_null(k->parse);
		assert_non_null(k->free);
		assert_non_null(k->plan);
		assert_non_null(k->run);
	}
}

static void test_check_hooks(void **state)
{
	(void)state;
	assert_non_null(check_kinds[0]);
	for (size_t i = 0; check_kinds[i]; i++) {
		const struct check_kind *k = check_kinds[i];

		print_message("check kind '%s'\n", k->name);
		assert_non_null(k->name);
		assert_non_null(k->parse);
		assert_non_null(k->free);
		assert_non_null(k->run);
	}
}

/* The kinds whose run changes the system, and those whose run only looks. */
static void test_mutating_kinds(void **state)
{
	static const char *const mutating[] = { "snapshot", "docker-prune",
						"vacuum", "command" };
	static const char *const reading[] = { "validate" };

	(void)state;
	for (size_t i = 0; i < sizeof(mutating) / sizeof(*mutating); i++) {
		const struct step_kind *k = step_kind_find(mutating[i]);

		assert_non_null(k);
		assert_true(k->flags & STEP_MUTATES);
	}
	for (size_t i = 0; i < sizeof(reading) / sizeof(*reading); i++) {
		const struct step_kind *k = step_kind_find(reading[i]);

		assert_non_null(k);
		assert_false(k->flags & STEP_MUTATES);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_hooks),
		cmocka_unit_test(test_check_hooks),
		cmocka_unit_test(test_mutating_kinds),
	};

	return cmocka_run_group_tests_name("kinds", tests, NULL, NULL);
}
