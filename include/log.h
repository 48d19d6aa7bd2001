/*
 * log.h -- one line per event on stderr, which lighttpd routes to its error
 * log for the backends it spawns. Every line carries the family, the pid
 * and the id of the request being served.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/*
 * Send stderr to the file path (appending), so that the lines of every
 * backend land in lighttpd's error log whether lighttpd kept its own stderr
 * (foreground) or not. Returns 0 or -1 (stderr is then left as it was).
 */
int log_open(const char *path);

/* Name the process in every line ("auth", "gridrest-db"); borrowed. */
void log_set_name(const char *name);

/* Set/clear (NULL) the current request id; copied. */
void log_set_reqid(const char *id);

/* Only messages at or above this level are written (default LOG_INFO). */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* LOG_H */
