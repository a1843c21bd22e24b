/*
 * Unit tests for src/discproto.c, the discovery packets: a query passes
 * only at its exact size with a clean header and zero padding; an
 * answer never exceeds the size it is given (the query's), keeps the
 * mandatory records when space is short and cuts the name on a UTF-8
 * boundary (or sends "?" when not one character fits); parsing
 * round-trips, skips unknown records and refuses every malformed
 * answer; fingerprints format and parse both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "discproto.h"

static const uint8_t nonce[DISCPROTO_NONCE_LEN] = { 1, 2, 3, 4, 5, 6, 7,
    8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void
test_discproto_fill(struct discproto_info *in)
{
	int	i;

	memset(in, 0, sizeof *in);
	strcpy(in->name, "office");
	strcpy(in->version, "0.1.0");
	strcpy(in->network, "lanchat");
	in->port_irc = 6667;
	in->port_ircs = 6697;
	in->port_http = 8080;
	in->has_fp = 1;
	for (i = 0; i < DISCPROTO_FP_LEN; i++)
		in->fp[i] = 0xa0 + i;
	in->naddr4 = 2;
	memcpy(in->addr4[0], "\xc0\xa8\x01\x14", 4);
	memcpy(in->addr4[1], "\x0a\x00\x00\x01", 4);
	in->naddr6 = 1;
	memcpy(in->addr6[0], "\xfd\x00\x00\x00\x00\x00\x00\x00"
	    "\x00\x00\x00\x00\x00\x00\x00\x01", 16);
}

static void
test_discproto_query(void **state)
{
	uint8_t	q[DISCPROTO_QUERY_SIZE + 8], got[DISCPROTO_NONCE_LEN];

	(void)state;
	discproto_query_build(q, nonce);
	assert_memory_equal(q, "LCDP\x01Q\0\0", 8);
	assert_int_equal(discproto_query_check(q, DISCPROTO_QUERY_SIZE, got),
	    0);
	assert_memory_equal(got, nonce, sizeof nonce);
	/* Every other size is refused, longer and shorter. */
	assert_int_equal(discproto_query_check(q, DISCPROTO_QUERY_SIZE - 1,
	    NULL), -1);
	memset(q + DISCPROTO_QUERY_SIZE, 0, 8);
	assert_int_equal(discproto_query_check(q, DISCPROTO_QUERY_SIZE + 1,
	    NULL), -1);
	assert_int_equal(discproto_query_check(q, 1, NULL), -1);
	assert_int_equal(discproto_query_check(q, 0, NULL), -1);
	/* Header and padding. */
	q[DISCPROTO_QUERY_SIZE - 1] = 1;
	assert_int_equal(discproto_query_check(q, DISCPROTO_QUERY_SIZE,
	    NULL), -1);
	discproto_query_build(q, nonce);
	q[4] = 2;
	assert_int_equal(discproto_query_check(q, DISCPROTO_QUERY_SIZE,
	    NULL), -1);
	discproto_query_build(q, nonce);
	q[5] = 'A';
	assert_int_equal(discproto_query_check(q, DISCPROTO_QUERY_SIZE,
	    NULL), -1);
	discproto_query_build(q, nonce);
	q[0] = 'X';
	assert_int_equal(discproto_query_check(q, DISCPROTO_QUERY_SIZE,
	    NULL), -1);
	discproto_query_build(q, nonce);
	q[7] = 1;
	assert_int_equal(discproto_query_check(q, DISCPROTO_QUERY_SIZE,
	    NULL), -1);
}

static void
test_discproto_roundtrip(void **state)
{
	struct discproto_info	in, out;
	uint8_t			a[DISCPROTO_QUERY_SIZE];
	uint8_t			got[DISCPROTO_NONCE_LEN];
	size_t			n;

	(void)state;
	test_discproto_fill(&in);
	n = discproto_answer_build(a, sizeof a, nonce, &in);
	assert_true(n > DISCPROTO_MIN_ANSWER && n <= sizeof a);
	assert_int_equal(discproto_answer_parse(a, n, got, &out), 0);
	assert_memory_equal(got, nonce, sizeof nonce);
	assert_string_equal(out.name, "office");
	assert_string_equal(out.version, "0.1.0");
	assert_string_equal(out.network, "lanchat");
	assert_int_equal(out.port_irc, 6667);
	assert_int_equal(out.port_ircs, 6697);
	assert_int_equal(out.port_http, 8080);
	assert_int_equal(out.port_https, 0);
	assert_true(out.has_fp);
	assert_memory_equal(out.fp, in.fp, DISCPROTO_FP_LEN);
	assert_int_equal(out.naddr4, 2);
	assert_memory_equal(out.addr4[1], in.addr4[1], 4);
	assert_int_equal(out.naddr6, 1);
	assert_memory_equal(out.addr6[0], in.addr6[0], 16);
	/* An answer is not a query. */
	assert_int_equal(discproto_query_check(a, n, NULL), -1);
}

static void
test_discproto_never_larger(void **state)
{
	struct discproto_info	in, out;
	uint8_t			a[DISCPROTO_QUERY_SIZE];
	uint8_t			got[DISCPROTO_NONCE_LEN];
	size_t			n, sz;
	const char		*cyr = "\xd0\x9f\xd1\x80\xd0\xb8";  /* При */

	(void)state;
	test_discproto_fill(&in);
	in.naddr4 = DISCPROTO_MAX_ADDRS;
	in.naddr6 = DISCPROTO_MAX_ADDRS;
	memset(in.name, 0, sizeof in.name);
	while (strlen(in.name) + 6 < 250)
		strcat(in.name, cyr);
	for (sz = DISCPROTO_MIN_ANSWER; sz <= sizeof a; sz++) {
		memset(a, 0xee, sizeof a);
		n = discproto_answer_build(a, sz, nonce, &in);
		assert_true(n > 0 && n <= sz);
		if (sz < sizeof a)
			assert_int_equal(a[sz], 0xee);
		assert_int_equal(discproto_answer_parse(a, n, got, &out), 0);
		/* The name is whole characters, the mandatory records are
		 * there whatever the size. */
		assert_true(strlen(out.name) > 0);
		assert_true(strlen(out.name) % 2 == 0 ||
		    strcmp(out.name, "?") == 0);
		assert_true(out.has_fp);
		assert_int_equal(out.port_ircs, 6697);
	}
	assert_int_equal(discproto_answer_build(a, DISCPROTO_MIN_ANSWER - 1,
	    nonce, &in), 0);
	assert_int_equal(discproto_answer_build(a, 0, nonce, &in), 0);
}

static void
test_discproto_bad_answers(void **state)
{
	struct discproto_info	in, out;
	uint8_t			a[DISCPROTO_QUERY_SIZE + 16], b[sizeof a];
	uint8_t			got[DISCPROTO_NONCE_LEN];
	size_t			n, i;

	(void)state;
	test_discproto_fill(&in);
	n = discproto_answer_build(a, DISCPROTO_QUERY_SIZE, nonce, &in);
	/* Every truncation is refused (the length field disagrees). */
	for (i = 0; i < n; i++)
		assert_int_equal(discproto_answer_parse(a, i, got, &out), -1);
	/* A byte more than the length says. */
	memcpy(b, a, n);
	b[n] = 0;
	assert_int_equal(discproto_answer_parse(b, n + 1, got, &out), -1);
	/* A known record of the wrong size: the name record's length byte
	 * is at 27; make the fingerprint (after the name) 31 bytes. */
	memcpy(b, a, n);
	assert_int_equal(b[26], DISCPROTO_R_NAME);
	assert_int_equal(b[26 + 2 + 6], DISCPROTO_R_FP);
	b[26 + 2 + 6 + 1] = 31;
	assert_int_equal(discproto_answer_parse(b, n, got, &out), -1);
	/* A control character in the name. */
	memcpy(b, a, n);
	b[28] = '\n';
	assert_int_equal(discproto_answer_parse(b, n, got, &out), -1);
	/* An unknown record type is skipped. */
	memcpy(b, a, n);
	b[n] = 0x7f;
	b[n + 1] = 3;
	memcpy(b + n + 2, "abc", 3);
	b[24] = (n + 5 - 26) >> 8;
	b[25] = (n + 5 - 26) & 0xff;
	assert_int_equal(discproto_answer_parse(b, n + 5, got, &out), 0);
	assert_string_equal(out.name, "office");
	/* No name at all. */
	memcpy(b, a, 24);
	b[24] = 0;
	b[25] = 0;
	assert_int_equal(discproto_answer_parse(b, 26, got, &out), -1);
	/* Wrong type in the header. */
	memcpy(b, a, n);
	b[5] = 'Q';
	assert_int_equal(discproto_answer_parse(b, n, got, &out), -1);
}

static void
test_discproto_fp(void **state)
{
	uint8_t	fp[DISCPROTO_FP_LEN], back[DISCPROTO_FP_LEN];
	char	s[100], nocolon[70];
	size_t	i, o = 0;

	(void)state;
	for (i = 0; i < sizeof fp; i++)
		fp[i] = i * 7 + 3;
	discproto_fp_format(fp, s, sizeof s);
	assert_int_equal(strlen(s), 95);
	assert_memory_equal(s, "03:0A:11", 8);
	assert_int_equal(discproto_fp_parse(s, back), 0);
	assert_memory_equal(fp, back, sizeof fp);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] != ':')
			nocolon[o++] = s[i] | 0x20;	/* lower case too */
	nocolon[o] = '\0';
	assert_int_equal(discproto_fp_parse(nocolon, back), 0);
	assert_memory_equal(fp, back, sizeof fp);
	assert_int_equal(discproto_fp_parse("03:0A", back), -1);
	s[3] = 'G';
	assert_int_equal(discproto_fp_parse(s, back), -1);
	discproto_fp_format(fp, s, sizeof s);
	strcat(s, ":00");
	assert_int_equal(discproto_fp_parse(s, back), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discproto_query),
		cmocka_unit_test(test_discproto_roundtrip),
		cmocka_unit_test(test_discproto_never_larger),
		cmocka_unit_test(test_discproto_bad_answers),
		cmocka_unit_test(test_discproto_fp),
	};

	return cmocka_run_group_tests_name("discproto", tests, NULL, NULL);
}
