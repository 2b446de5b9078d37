/*
 * units.c - durations, sizes, booleans, integers and signal names (see
 * units.h). Pure and allocation-free, shared by svd and svctl.
 */
#include "config.h"

#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	int number;
} signal_names[] = {
	{"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},
	{"ILL", SIGILL},     {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},
	{"IOT", SIGIOT},     {"BUS", SIGBUS},       {"FPE", SIGFPE},
	{"KILL", SIGKILL},   {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
	{"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
	{"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},
	{"CONT", SIGCONT},   {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},
	{"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},     {"URG", SIGURG},
	{"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM},
	{"PROF", SIGPROF},   {"WINCH", SIGWINCH},   {"IO", SIGIO},
	{"POLL", SIGPOLL},   {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

/* Parses the leading unsigned decimal digits of s into *value; returns the
 * number of digits, 0 if none, -1 on overflow. */
static int parse_digits(const char *s, uint64_t *value)
{
	uint64_t v = 0;
	int n = 0;

	while (isdigit((unsigned char)s[n])) {
		unsigned d = (unsigned)(s[n] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		n++;
	}
	*value = v;
	return n;
}

static const char *skip_digits(const char *s)
{
	while (isdigit((unsigned char)*s))
		s++;
	return s;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

int units_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000},
		     {"h", 3600000}};
	uint64_t v;
	int n = parse_digits(s, &v);
	const char *suffix = skip_digits(s);

	if (suffix == s)
		return fail(EINVAL);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(suffix, units[i].suffix) != 0)
			continue;
		if (n < 0 || v > (uint64_t)UNITS_DURATION_MAX_MS / units[i].ms)
			return fail(ERANGE);
		*ms = (int64_t)(v * units[i].ms);
		return 0;
	}
	return fail(EINVAL);
}

int units_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t v, mult;
	int n = parse_digits(s, &v);
	const char *suffix = skip_digits(s);

	if (suffix == s || (suffix[0] && suffix[1]))
		return fail(EINVAL);
	switch (suffix[0]) {
	case '\0': mult = 1; break;
	case 'k': case 'K': mult = 1ULL << 10; break;
	case 'm': case 'M': mult = 1ULL << 20; break;
	case 'g': case 'G': mult = 1ULL << 30; break;
	default: return fail(EINVAL);
	}
	if (n < 0 || v > UINT64_MAX / mult)
		return fail(ERANGE);
	*bytes = v * mult;
	return 0;
}

int units_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return fail(EINVAL);
}

int units_parse_int(const char *s, long long min, long long max, long long *out)
{
	bool negative = false;
	uint64_t v;
	int n;

	if (*s == '-' || *s == '+')
		negative = *s++ == '-';
	n = parse_digits(s, &v);
	if (n == 0 || *skip_digits(s) != '\0')
		return fail(EINVAL);
	if (n < 0 || v > (uint64_t)INT64_MAX + (negative ? 1 : 0))
		return fail(ERANGE);
	/* -(v - 1) - 1 reaches LLONG_MIN without overflowing on the way. */
	long long value = negative ? (v ? -(long long)(v - 1) - 1 : 0) : (long long)v;
	if (value < min || value > max)
		return fail(ERANGE);
	*out = value;
	return 0;
}

int units_parse_signal_name(const char *s, int *sig)
{
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++) {
		if (strcasecmp(s, signal_names[i].name) == 0) {
			*sig = signal_names[i].number;
			return 0;
		}
	}
	return fail(EINVAL);
}

int units_parse_signal(const char *s, int *sig)
{
	long long n;

	if (isdigit((unsigned char)*s)) {
		if (units_parse_int(s, 1, SIGRTMAX, &n) < 0)
			return -1;
		*sig = (int)n;
		return 0;
	}
	return units_parse_signal_name(s, sig);
}

const char *units_signal_name(int sig)
{
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (signal_names[i].number == sig)
			return signal_names[i].name;
	return NULL;
}

void units_format_duration(int64_t ms, char *buf, size_t size)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, size, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, size, "%lldms", (long long)ms);
}

void units_format_size(uint64_t bytes, char *buf, size_t size)
{
	if (bytes != 0 && bytes % (1ULL << 30) == 0)
		snprintf(buf, size, "%lluG", (unsigned long long)(bytes >> 30));
	else if (bytes != 0 && bytes % (1ULL << 20) == 0)
		snprintf(buf, size, "%lluM", (unsigned long long)(bytes >> 20));
	else if (bytes != 0 && bytes % (1ULL << 10) == 0)
		snprintf(buf, size, "%lluK", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, size, "%llu", (unsigned long long)bytes);
}
