/*
 * Figures: the monotonic clock, latency histograms and what /proc says
 * about the server under test.
 *
 * A latency histogram has log-linear buckets: exact below 128 ns, then
 * 64 buckets per octave, so every quantile is within about 1.6 % of the
 * true value whatever the number of samples, and the memory is fixed.
 * The maximum is kept exactly.
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define PROC_SAMPLE_NS	100000000ULL	/* RSS sampled every 100 ms */

/* Nanoseconds on the monotonic clock. */
uint64_t
stat_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds to milliseconds. */
double
stat_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static size_t
lat_bucket(uint64_t v)
{
	int	e, k;

	if (v < BENCH_HIST_SUB)
		return (size_t)v;
	e = 63 - __builtin_clzll(v);
	k = e - 6;
	if (k >= BENCH_HIST_OCT)
		return (size_t)BENCH_HIST_OCT * BENCH_HIST_SUB - 1;
	return (size_t)k * BENCH_HIST_SUB + (size_t)(v >> k);
}

static uint64_t
lat_value(size_t i)
{
	size_t		k = i / BENCH_HIST_SUB, sub = i % BENCH_HIST_SUB;

	if (k == 0)
		return sub;
	return ((uint64_t)sub << k) + ((1ULL << k) >> 1);
}

/* Count one latency of v nanoseconds. */
void
lat_add(struct lat_hist *h, uint64_t v)
{
	h->b[lat_bucket(v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

/* Forget every sample. */
void
lat_reset(struct lat_hist *h)
{
	memset(h, 0, sizeof *h);
}

/*
 * The q-quantile (0 < q <= 1) in nanoseconds: the smallest bucket value
 * with at least q of the samples at or below it, never above the true
 * maximum.  0 when there are no samples.
 */
uint64_t
lat_quantile(const struct lat_hist *h, double q)
{
	uint64_t	want, acc = 0, v;
	size_t		i;

	if (h->count == 0)
		return 0;
	want = (uint64_t)(q * (double)h->count);
	if ((double)want < q * (double)h->count)
		want++;
	if (want == 0)
		want = 1;
	for (i = 0; i < (size_t)BENCH_HIST_OCT * BENCH_HIST_SUB; i++) {
		acc += h->b[i];
		if (acc >= want) {
			v = lat_value(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/*
 * Read the server's resident memory (VmRSS, KiB) and CPU time (utime +
 * stime, seconds) from /proc/pid.  Returns 0, or -1 when the process
 * cannot be read (out->ok is 0 then).
 */
int
proc_read(int pid, struct proc_sample *out)
{
	char		 path[64], buf[4096], *p;
	FILE		*f;
	size_t		 n;
	unsigned long	 ut = 0, st = 0;
	int		 field;

	memset(out, 0, sizeof *out);
	if (pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof buf, f) != NULL) {
		if (strncmp(buf, "VmRSS:", 6) == 0) {
			out->rss_kib = strtoull(buf + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and ')': fields count from the
	 * last ')'.  utime and stime are fields 14 and 15 (proc(5)). */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (field = 3; field < 14 && p != NULL; field++) {
		p = strchr(p + 1, ' ');
	}
	if (p == NULL || sscanf(p, " %lu %lu", &ut, &st) != 2)
		return -1;
	out->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	out->ok = 1;
	return 0;
}

/* Sample the server's RSS every 100 ms and keep the peak. */
void
proc_track(uint64_t now)
{
	struct proc_sample	ps;

	if (run.pid <= 0 || now - run.t_sample < PROC_SAMPLE_NS)
		return;
	run.t_sample = now;
	if (proc_read(run.pid, &ps) == 0 && ps.rss_kib > run.rss_peak)
		run.rss_peak = ps.rss_kib;
}

/* CPU seconds this process has used so far. */
double
stat_self_cpu(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
