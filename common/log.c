/*
 * log.c -- line-oriented logging to stderr. Each line is written with one
 * write(2) so lines from several processes sharing the error log never
 * interleave.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "date.h"
#include "log.h"

static const char *log_name = "gridrest";
static char log_reqid[64];
static enum log_level log_level = LOG_INFO;

static const char *const level_names[] = { "error", "warning", "info",
	"debug" };

int
log_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (fd != STDERR_FILENO) {
		if (dup2(fd, STDERR_FILENO) < 0) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

void
log_set_name(const char *name)
{
	log_name = name;
}

void
log_set_reqid(const char *id)
{
	if (id == NULL)
		log_reqid[0] = '\0';
	else
		(void)snprintf(log_reqid, sizeof(log_reqid), "%s", id);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024], date[DATE_ISO_LEN];
	va_list ap;
	int n, m;
	size_t len, i;

	if (level > log_level)
		return;
	n = snprintf(line, sizeof(line),
	    "%s gridrest-%s[%ld] rid=%s %s: ", date_iso(time(NULL), date),
	    log_name, (long)getpid(), log_reqid[0] != '\0' ? log_reqid : "-",
	    level_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	len = strlen(line);
	/* one event, one line: control characters from clients are masked */
	for (i = (size_t)n; i < len; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
	line[len++] = '\n';
	(void)!write(STDERR_FILENO, line, len);
}
