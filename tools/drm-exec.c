/*
 * drm-exec.c -- gridrest-drm-exec, the interpreter of the batch scripts the
 * slurm backend hands to sbatch. A script is
 *
 *   #!/path/to/gridrest-drm-exec
 *   {"argv": [...], "env": [...], "time_limit": s, "grace": s}
 *
 * so that a job's command is executed with execve, never parsed by a
 * shell. It runs the command in its own process group, ends it at its time
 * limit or on SIGTERM (scancel), and writes how it ended into the working
 * directory, .gridrest-exit-<slurm job id>: "exit N", "signal N",
 * "timeout N" or "cancelled N". That file keeps the exit status after
 * Slurm has forgotten the job.
 *
 * A payload with "stage" (stage.h) has the job's data copied here, on the
 * node, as the job's user: its input before the command runs, its output
 * after it ended with 0. The phase goes to .gridrest-phase-<id> and a
 * failure or the output stored to .gridrest-data-<id>, before the exit
 * file: the service registers the output and shows the phase.
 */
#define _GNU_SOURCE /* execvpe */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "drm_run.h"
#include "stage.h"

#define SCRIPT_MAX (1 << 20)
#define ENV_MAX    512

extern char **environ;
static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static char *
xstrdup_or_die(const char *s)
{
	char *d = strdup(s);

	if (d == NULL) {
		perror("gridrest-drm-exec");
		exit(125);
	}
	return d;
}

static char *
join(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *s = malloc(na + nb + 1);

	if (s == NULL) {
		perror("gridrest-drm-exec");
		exit(125);
	}
	memcpy(s, a, na);
	memcpy(s + na, b, nb + 1);
	return s;
}

/* The payload: the script's text after its first line. */
static json_t *
payload(const char *path)
{
	static char buf[SCRIPT_MAX + 1];
	const char *nl;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, SCRIPT_MAX, f);
	fclose(f);
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) == NULL)
		return NULL;
	return json_loads(nl + 1, 0, NULL);
}

/* The job's Slurm id as the service knows it: "<job>" or "<array>_<task>". */
static const char *
native_id(void)
{
	static char buf[96];
	const char *job = getenv("SLURM_JOB_ID");
	const char *arr = getenv("SLURM_ARRAY_JOB_ID");
	const char *task = getenv("SLURM_ARRAY_TASK_ID");

	if (arr != NULL && task != NULL)
		(void)snprintf(buf, sizeof(buf), "%s_%s", arr, task);
	else
		(void)snprintf(buf, sizeof(buf), "%s",
		    job != NULL ? job : "unknown");
	return buf;
}

static char *
exit_name(void)
{
	char buf[128];

	(void)snprintf(buf, sizeof(buf), ".gridrest-exit-%s", native_id());
	return xstrdup_or_die(buf);
}

static void
record(const char *how, int n, double cpu)
{
	char *name = exit_name(), *tmp = join(name, ".tmp");
	char line[96];
	int fd, len;

	/* the CPU the job used (user + system, s), when it was reaped */
	len = cpu >= 0
	    ? snprintf(line, sizeof(line), "%s %d cpu=%.3f\n", how, n, cpu)
	    : snprintf(line, sizeof(line), "%s %d\n", how, n);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)len) == len && close(fd) == 0)
			(void)rename(tmp, name);
		else
			close(fd);
	}
	free(tmp);
	free(name);
}

static char **
exec_job_env(const json_t *p)
{
	char **env = calloc(ENV_MAX + 8, sizeof(*env));
	const json_t *e;
	const char *task = getenv("SLURM_ARRAY_TASK_ID");
	size_t n = 0, i;
	char **s;

	if (env == NULL)
		exit(125);
	json_array_foreach(json_object_get(p, "env"), i, e)
		if (json_is_string(e) && n < ENV_MAX / 2)
			env[n++] = xstrdup_or_die(json_string_value(e));
	for (s = environ; *s != NULL && n < ENV_MAX; s++)
		if (strncmp(*s, "SLURM_", 6) == 0)
			env[n++] = *s;
	if (task != NULL)
		env[n++] = join("GRIDREST_ARRAY_TASK_ID=", task);
	return env;
}

/* The entries exec_job_env() copied (not the SLURM_ ones of environ). */
static void
env_free(char **env)
{
	char **s;

	for (s = env; *s != NULL; s++) {
		bool ours = true;
		char **e;

		for (e = environ; *e != NULL; e++)
			ours &= *e != *s;
		if (ours)
			free(*s);
	}
	free(env);
}

/* The runner's question: scancel (SIGTERM) asks for the end. */
static const char *
exec_stop(void *ctx)
{
	(void)ctx;
	return got_term ? "cancelled" : NULL;
}

/*
 * The job's input data, copied into cwd inside the job's life (the time
 * limit runs from its start, scancel ends the copies at once); *limit: the
 * time the job has left. False when a file could not be copied (the
 * reason written for the service) or the copies were ended (the end
 * recorded as the job's).
 */
static bool
data_in(const json_t *stage, const char *cwd, long *limit, long grace)
{
	const json_t *in = json_object_get(stage, "in");
	struct drm_run run = { .limit = *limit,
		.grace = grace,
		.stop = exec_stop };
	char why[512];
	json_t *res;
	int fd;

	if (json_array_size(in) > 0) {
		stage_phase_write(cwd, native_id(), "in");
		if (stage_in_start(in, cwd, false, 0, 0, &run, &fd, why,
			sizeof(why)) != 0 ||
		    stage_in_wait(in, cwd, &run, fd, why, sizeof(why)) != 0) {
			fprintf(stderr, "gridrest: %s\n", why);
			if (run.how != NULL) {
				record(run.how, 0, -1);
				return false;
			}
			res = json_pack("{s:s}", "why", why);
			(void)stage_result_write(cwd, native_id(), res);
			json_decref(res);
			record("exit", 125, -1);
			return false;
		}
		*limit = run.limit;
	}
	stage_phase_write(cwd, native_id(), "run");
	return true;
}

/* After the job ended with 0: its output data stored, and told. */
static void
data_out(const json_t *stage, const char *cwd)
{
	const json_t *out = json_object_get(stage, "out");
	char why[512];
	json_t *got = NULL, *res;

	if (json_array_size(out) == 0)
		return;
	stage_phase_write(cwd, native_id(), "out");
	if (stage_out(out, cwd, &got, why, sizeof(why)) != 0) {
		fprintf(stderr, "gridrest: %s\n", why);
		res = json_pack("{s:o, s:s}", "got", got, "why", why);
	} else {
		res = json_pack("{s:o}", "got", got);
	}
	(void)stage_result_write(cwd, native_id(), res);
	json_decref(res);
}

int
main(int argc, char **argv)
{
	json_t *p, *a;
	const json_t *stage;
	char **cmd, **env, cwd[4096];
	long limit, grace;
	struct sigaction sa;
	size_t n, i;
	int status = 0;
	struct drm_run run;
	struct drm_limits lim;
	pid_t pid;

	if (argc < 2 || (p = payload(argv[1])) == NULL) {
		fprintf(stderr, "gridrest-drm-exec: no job description\n");
		record("exit", 125, -1);
		return 125;
	}
	a = json_object_get(p, "argv");
	n = json_array_size(a);
	if (n == 0) {
		record("exit", 125, -1);
		return 125;
	}
	cmd = calloc(n + 1, sizeof(*cmd));
	if (cmd == NULL)
		return 125;
	for (i = 0; i < n; i++)
		cmd[i] = xstrdup_or_die(
		    json_string_value(json_array_get(a, i)) != NULL
			? json_string_value(json_array_get(a, i))
			: "");
	env = exec_job_env(p);
	limit = (long)json_integer_value(json_object_get(p, "time_limit"));
	grace = (long)json_integer_value(json_object_get(p, "grace"));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	stage = json_object_get(p, "stage");
	if (stage != NULL && getcwd(cwd, sizeof(cwd)) == NULL) {
		record("exit", 125, -1);
		return 125;
	}
	if (stage != NULL && !data_in(stage, cwd, &limit, grace))
		return 125;
	if ((pid = fork()) < 0) {
		record("exit", 125, -1);
		return 125;
	}
	lim.nproc = (long)json_integer_value(
	    json_object_get(json_object_get(p, "limits"), "nproc"));
	lim.fsize_mb = (long)json_integer_value(
	    json_object_get(json_object_get(p, "limits"), "fsize_mb"));
	lim.mem_mb = (long)json_integer_value(
	    json_object_get(json_object_get(p, "limits"), "mem_mb"));
	if (pid == 0) {
		(void)setpgid(0, 0);
		if (drm_run_apply_limits(&lim) != 0) {
			fprintf(stderr,
			    "gridrest: cannot set the job's "
			    "limits: %s\n",
			    strerror(errno));
			_exit(126);
		}
		sa.sa_handler = SIG_DFL;
		(void)sigaction(SIGTERM, &sa, NULL);
		(void)sigaction(SIGINT, &sa, NULL);
		execvpe(cmd[0], cmd, env);
		fprintf(stderr, "gridrest: cannot run '%s': %s\n", cmd[0],
		    strerror(errno));
		_exit(127);
	}
	(void)setpgid(pid, pid);
	run.pid = pid;
	run.limit = limit;
	run.grace = grace;
	run.stop = exec_stop;
	run.ctx = NULL;
	drm_run_wait(&run);
	status = run.status;
	if (stage != NULL && status >= 0 && run.how == NULL &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0)
		data_out(stage, cwd);
	if (status < 0) {
		record("exit", 125, -1);
		status = 125 << 8;
	} else if (run.how != NULL) {
		record(run.how, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		    run.cpu);
	} else if (WIFSIGNALED(status)) {
		record("signal", WTERMSIG(status), run.cpu);
	} else {
		record("exit", WEXITSTATUS(status), run.cpu);
	}
	json_decref(p);
	for (i = 0; i < n; i++)
		free(cmd[i]);
	free(cmd);
	env_free(env);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
